import FuzzSupport
import ZTPCore

/// The server side of a connection fed from the first byte: the fixed identity and ephemeral
/// key, a verifier with a known secret and a fixed clock. Input: one control byte (see
/// `Feeding`), then the bytes a client sends.
let serverConnectionTarget = FuzzTarget(name: "server-connection", seeds: {
    seedSessions().flatMap { session in
        [[0] + session.clientToServer, [0b0000_1101] + session.clientToServer]
    }
}, run: { data in
    var input = FuzzInput(data)
    let feeding = Feeding(input.byte())
    let wire = input.rest()
    var connection = Fixtures.server()
    var checks = ConnectionChecks(isServer: true, maxStreams: Fixtures.parameters.maxStreams)
    var now = Fixtures.start
    var written = 0
    var offset = 0

    func observe(_ events: [ConnectionEvent], received: Int) {
        let wasClosed = checks.closed
        checks.check(events, isClosed: connection.isClosed, isEstablished: connection.isEstablished,
                     streamCount: connection.streams.count, queuedBytes: connection.queuedBytes)
        let out = connection.takeOutbound()
        invariant(!wasClosed || out.isEmpty, "\(out.count) bytes written after the close")
        written += out.count
        // Bounded amplification: SERVER_HELLO and HANDSHAKE_ACK are the only answers larger
        // than what asked for them; after that every reply is at most about its request's size.
        invariant(written <= 3 * offset + 1024, "wrote \(written) bytes for \(offset) received")
        if let session = connection.session, events.contains(where: { if case .established = $0 { true } else { false } }) {
            invariant(Fixtures.roles.contains(session.role), "session with unknown role \(session.role)")
            invariant(session.tokenID != Fixtures.revokedTokenID, "revoked token accepted")
            invariant(TokenClaims.isValidClientID(session.clientID), "bad client id accepted")
        }
    }

    while offset < wire.count {
        let end = min(wire.count, offset + min(feeding.chunk, wire.count - offset))
        let events = connection.receive(UnsafeRawBufferPointer(rebasing: wire[offset..<end]), now: now)
        offset = end
        observe(events, received: end)
        now += feeding.step
        observe(connection.tick(now: now), received: end)
    }
    if feeding.tickAtEnd {
        observe(connection.tick(now: now + 100), received: offset)
    }
})
