import FuzzSupport
import ZTPCore

/// The client side after its CLIENT_HELLO: pinned to the fixture identity, fixed ephemeral key.
/// Once established it opens streams 1 and 2 as the seeds' client did. Input: one control byte
/// (see `Feeding`), then the bytes a server sends.
let clientConnectionTarget = FuzzTarget(name: "client-connection", seeds: {
    seedSessions().flatMap { session in
        [[0] + session.serverToClient, [0b0000_1110] + session.serverToClient]
    }
}, run: { data in
    var input = FuzzInput(data)
    let feeding = Feeding(input.byte())
    let wire = input.rest()
    var connection = Fixtures.client()
    _ = connection.takeOutbound()
    var checks = ConnectionChecks(isServer: false, maxStreams: Int.max - 2)
    var now = Fixtures.start
    var offset = 0
    var opened = false

    func observe(_ events: [ConnectionEvent]) {
        let wasClosed = checks.closed
        checks.check(events, isClosed: connection.isClosed, isEstablished: connection.isEstablished,
                     streamCount: connection.streams.count, queuedBytes: connection.queuedBytes)
        if connection.isEstablished && !opened {
            opened = true
            for stream in [UInt32(1), 2] {
                _ = connection.sendData(stream: stream, payload: pattern(2), now: now)
            }
        }
        let out = connection.takeOutbound()
        invariant(!wasClosed || out.isEmpty, "\(out.count) bytes written after the close")
        if connection.isEstablished || checks.established {
            // Section 3.2: no session without the pinned key's signature on SERVER_HELLO.
            invariant(connection.handshake.serverKey == Fixtures.identity.publicKey, "established with an unverified server key")
        }
    }

    while offset < wire.count {
        let end = min(wire.count, offset + min(feeding.chunk, wire.count - offset))
        observe(connection.receive(UnsafeRawBufferPointer(rebasing: wire[offset..<end]), now: now))
        offset = end
        now += feeding.step
        observe(connection.tick(now: now))
    }
    if feeding.tickAtEnd {
        observe(connection.tick(now: now + 100))
    }
})
