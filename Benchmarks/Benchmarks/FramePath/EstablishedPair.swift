import Benchmark
import ZTPCore

/// A client and a server connection with stream 1 open, exchanging bytes in memory through
/// reused buffers. A class so that one pair lives across a benchmark's runs and every run after
/// the first is steady state.
final class EstablishedPair {
    private var client: ClientConnection
    private var server: ServerConnection
    private let payload: [UInt8]
    private var toServer: [UInt8] = []
    private var toClient: [UInt8] = []
    private let now: Double
    private var received = 0
    private var events: [ConnectionEvent] = []

    init(streamWindow: Int, payload: [UInt8]) {
        self.payload = payload
        let secret = SecretBytes(randomCount: 32)
        let identity = Ed25519.KeyPair()
        let start = 1_767_225_600.0
        now = start
        let claims = TokenClaims(subject: "bench", role: "user", issuedAt: Int64(start), expiresAt: Int64(start) + 86_400,
                                 id: TokenMinter.newTokenID())
        let token = Array(TokenMinter(secret: secret).mint(claims).utf8)
        let verifier = TokenVerifier(secret: secret, now: { start }, isKnownRole: { _ in true }, isRevoked: { _ in false })
        var configuration = ServerHandshake.Configuration()
        configuration.parameters.streamWindow = streamWindow
        server = ServerConnection(server: ServerHandshake(configuration: configuration, identity: identity, verifier: verifier,
                                                          acceptedAt: start),
                                  admission: { _, _ in nil })
        client = ClientConnection(token: token, trust: .pinned(identity.publicKey), now: start)
        exchange()
        precondition(client.isEstablished && server.isEstablished, "the in-memory handshake did not finish")
        // Opens stream 1 and brings every buffer to its working size.
        clientSends()
        exchange()
        for _ in 0..<1_000 {
            clientSends()
            serverSends()
            exchange()
        }
        // The one-way benchmarks' buffers, when the window lets 1,000 frames go unanswered.
        if streamWindow >= 1_000 * payload.count {
            for _ in 0..<1_000 { clientSends() }
            serverReceives(framesPerRead: 1)
            clientReceivesAll()
        }
    }

    func clientSends() {
        let outcome = client.sendData(stream: 1, payload: payload, now: now)
        precondition(outcome == .sent, "client send: \(outcome)")
        client.drainOutbound { toServer.append(contentsOf: $0) }
    }

    func serverSends() {
        let outcome = server.sendData(stream: 1, payload: payload, now: now)
        precondition(outcome == .sent, "server send: \(outcome)")
        server.drainOutbound { toClient.append(contentsOf: $0) }
    }

    /// What the client sent, fed to the server `framesPerRead` sealed frames per `receive`.
    func serverReceives(framesPerRead: Int) {
        let frameSize = 24 + payload.count + 16
        precondition(toServer.count % frameSize == 0, "the client's bytes are not whole DATA frames")
        toServer.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(all.count, offset + framesPerRead * frameSize)
                server.receive(UnsafeRawBufferPointer(rebasing: all[offset..<end]), now: now, into: &events)
                count()
                server.drainOutbound { toClient.append(contentsOf: $0) }
                offset = end
            }
        }
        toServer.removeAll(keepingCapacity: true)
    }

    func serverReceivesAll() {
        if !toServer.isEmpty {
            toServer.withUnsafeBytes { server.receive($0, now: now, into: &events) }
            toServer.removeAll(keepingCapacity: true)
            count()
        }
        server.drainOutbound { toClient.append(contentsOf: $0) }
    }

    func clientReceivesAll() {
        if !toClient.isEmpty {
            toClient.withUnsafeBytes { client.receive($0, now: now, into: &events) }
            toClient.removeAll(keepingCapacity: true)
            count()
        }
        client.drainOutbound { toServer.append(contentsOf: $0) }
    }

    /// Moves everything both ways until neither side has more to say.
    func exchange() {
        repeat {
            client.drainOutbound { toServer.append(contentsOf: $0) }
            serverReceivesAll()
            clientReceivesAll()
        } while !toServer.isEmpty || !toClient.isEmpty
    }

    /// Reads what the last `receive` reported and empties the events, keeping their capacity
    /// (and letting go of the payloads, which are slices of the receive buffer).
    private func count() {
        for event in events {
            switch event {
            case .data(_, let payload): received &+= payload.readableBytes
            case .closed(let reason): preconditionFailure("the session closed: \(reason)")
            default: break
            }
        }
        blackHole(received)
        events.removeAll(keepingCapacity: true)
    }
}
