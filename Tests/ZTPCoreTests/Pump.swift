import Testing
@testable import ZTPCore

/// Keys, clock and policy shared by the protocol tests that do not need the vector's bytes.
enum Peers {
    /// The vector's verification time: 2026-01-01T00:00:00Z.
    static let start: Double = 1_767_225_600
    static let tokenSecret = SecretBytes(hex("6162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f80"))
    static let identity = Ed25519.KeyPair(seed: SecretBytes(hex("4142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60")))
    static let roles: Set<String> = ["admin", "user", "observer"]

    static func claims(sub: String = "alice", role: String = "user", iat: Int64 = Int64(start),
                       exp: Int64 = Int64(start) + 3600, jti: String = "0123456789abcdef0123456789abcdef") -> TokenClaims {
        TokenClaims(subject: sub, role: role, issuedAt: iat, expiresAt: exp, id: jti)
    }

    static func token(_ claims: TokenClaims = claims(), secret: SecretBytes = tokenSecret) -> [UInt8] {
        Array(TokenMinter(secret: secret).mint(claims).utf8)
    }

    static func verifier(now: Double = start, revoked: Set<String> = []) -> TokenVerifier {
        TokenVerifier(secret: tokenSecret, now: { now }, isKnownRole: { roles.contains($0) },
                      isRevoked: { revoked.contains($0) })
    }

    /// The default policy of section 8: streams 1 (chat) and 2 (control); observers only 2.
    @Sendable static func admission(stream: UInt32, role: String) -> CloseCode? {
        switch stream {
        case 1: return role == "observer" ? .forbidden : nil
        case 2: return nil
        default: return .unknownStream
        }
    }

    static func server(configuration: ServerHandshake.Configuration = .init(), at now: Double = start,
                       verifier: TokenVerifier = verifier(), ephemeral: X25519.KeyPair? = nil) -> ServerConnection {
        ServerConnection(server: ServerHandshake(configuration: configuration, identity: identity, verifier: verifier,
                                                 acceptedAt: now, ephemeral: ephemeral),
                         admission: admission)
    }

    static func client(token: [UInt8] = token(), limits: SessionLimits = .init(), at now: Double = start,
                       trust: ClientHandshake.ServerTrust = .pinned(identity.publicKey),
                       ephemeral: X25519.KeyPair = X25519.KeyPair()) -> ClientConnection {
        ClientConnection(token: token, trust: trust, limits: limits, now: now, ephemeral: ephemeral)
    }

    /// Carries CLIENT_HELLO and SERVER_HELLO across and returns the client's HANDSHAKE_INIT,
    /// not yet delivered, for tests of what the server does with it.
    static func handshakeInit(_ client: inout ClientConnection, _ server: inout ServerConnection, now: Double) -> [UInt8] {
        _ = server.receive(client.takeOutbound(), now: now)
        _ = client.receive(server.takeOutbound(), now: now)
        return client.takeOutbound()
    }
}

/// A client and a server connection exchanging bytes in memory (nio-ssh's `run(dripFeed:)`).
///
/// `run()` moves outbound bytes both ways until neither side has anything to say, feeding
/// them whole or, with `dripFeed`, one byte per `receive`. Everything that crossed is kept in
/// `clientSent` / `serverSent` so tests can assert what was (not) sent.
struct Pump {
    var client: ClientConnection
    var server: ServerConnection
    var now: Double
    var dripFeed: Bool
    private(set) var clientEvents: [ConnectionEvent] = []
    private(set) var serverEvents: [ConnectionEvent] = []
    private(set) var clientSent: [UInt8] = []
    private(set) var serverSent: [UInt8] = []

    init(client: ClientConnection, server: ServerConnection, now: Double = Peers.start, dripFeed: Bool = false) {
        self.client = client
        self.server = server
        self.now = now
        self.dripFeed = dripFeed
    }

    /// A pair with the default peers, already through the handshake.
    static func established(configuration: ServerHandshake.Configuration = .init(), clientLimits: SessionLimits = .init(),
                            role: String = "user", dripFeed: Bool = false) throws -> Pump {
        var pump = Pump(client: Peers.client(token: Peers.token(Peers.claims(role: role)), limits: clientLimits),
                        server: Peers.server(configuration: configuration), dripFeed: dripFeed)
        pump.run()
        try #require(pump.client.isEstablished && pump.server.isEstablished, "handshake did not finish")
        _ = pump.takeEvents()
        pump.clientSent = []
        pump.serverSent = []
        return pump
    }

    /// Moves bytes until both sides are quiet.
    mutating func run(sourceLocation: SourceLocation = #_sourceLocation) {
        for _ in 0..<10_000 {
            let toServer = client.takeOutbound()
            clientSent += toServer
            serverEvents += Pump.feed(toServer, to: &server, now: now, drip: dripFeed)
            let toClient = server.takeOutbound()
            serverSent += toClient
            clientEvents += Pump.feed(toClient, to: &client, now: now, drip: dripFeed)
            if toServer.isEmpty && toClient.isEmpty { return }
        }
        Issue.record("the connections never went quiet", sourceLocation: sourceLocation)
    }

    /// Advances both clocks to `time`, ticks both sides, and runs.
    mutating func tick(to time: Double) {
        now = time
        clientEvents += client.tick(now: time)
        serverEvents += server.tick(now: time)
        run()
    }

    /// Events since the last call, as (client, server).
    mutating func takeEvents() -> (client: [ConnectionEvent], server: [ConnectionEvent]) {
        defer { clientEvents = []; serverEvents = [] }
        return (clientEvents, serverEvents)
    }

    static func feed<H>(_ bytes: [UInt8], to connection: inout Connection<H>, now: Double, drip: Bool) -> [ConnectionEvent] {
        guard !bytes.isEmpty else { return [] }
        guard drip else { return connection.receive(bytes, now: now) }
        var events: [ConnectionEvent] = []
        for byte in bytes { events += connection.receive([byte], now: now) }
        return events
    }
}

extension Connection {
    /// Seals `frame` with this side's session send key as a peer that ignores the rules would:
    /// no window, stream or side checks. The counter advances as for a real frame.
    mutating func forge(_ frame: Frame) -> [UInt8] {
        forge(type: frame.type, stream: frame.streamID, plaintext: frame.plaintext)
    }

    mutating func forge(type: FrameType, stream: UInt32, plaintext: [UInt8]) -> [UInt8] {
        guard case .established(var engine) = phase else { preconditionFailure("forge needs an established session") }
        var out: [UInt8] = []
        plaintext.withUnsafeBytes { engine.sealer.seal(type: type, streamID: stream, plaintext: $0, appendingTo: &out) }
        phase = .established(engine)
        return out
    }

    /// Opens frames the peer sent with a copy of this side's receive state: what this side
    /// would read, without reading it.
    func peek(_ bytes: [UInt8]) throws -> [Frame] {
        guard case .established(let engine) = phase else { preconditionFailure("peek needs an established session") }
        var opener = engine.opener
        var decoder = FrameDecoder(sender: Handshake.peerRole)
        decoder.append(bytes)
        var frames: [Frame] = []
        while let raw = try decoder.next() { frames.append(try Frame(header: raw.header, plaintext: opener.open(raw))) }
        return frames
    }

    /// The frame counter this side's next sealed frame will carry.
    var nextSendSequence: UInt64? {
        guard case .established(let engine) = phase else { return nil }
        return engine.sealer.sequence
    }
}

/// A 24-byte header with any field values, including ones `FrameHeader` cannot represent.
func rawHeader(version: UInt16 = 1, type: UInt16, stream: UInt32 = 0, noncePrefix: UInt32 = 0, seq: UInt64 = 0,
               length: UInt32) -> [UInt8] {
    var out: [UInt8] = []
    out.appendBigEndian(version)
    out.appendBigEndian(type)
    out.appendBigEndian(stream)
    out.appendBigEndian(noncePrefix)
    out.appendBigEndian(seq)
    out.appendBigEndian(length)
    return out
}

/// The protocol error a `.closed` event reports, if it is the last event.
func protocolError(in events: [ConnectionEvent]) -> ZTPError? {
    guard case .closed(.protocolError(let error)) = events.last else { return nil }
    return error
}

/// The session CLOSE a `.closed(.peerClosed)` event reports, if it is the last event.
func peerClose(in events: [ConnectionEvent]) -> CloseCode? {
    guard case .closed(.peerClosed(let code, _)) = events.last else { return nil }
    return code
}

/// Decodes and opens every frame in `bytes` sent by `sender` under `key`, starting at seq 0.
func openFrames(_ bytes: [UInt8], sentBy sender: Role, key: SecretBytes) throws -> [Frame] {
    var decoder = FrameDecoder(sender: sender)
    var opener = FrameOpener(key: key)
    decoder.append(bytes)
    var frames: [Frame] = []
    while let raw = try decoder.next() {
        if raw.header.type.isEncrypted {
            frames.append(try Frame(header: raw.header, plaintext: opener.open(raw)))
        } else {
            frames.append(try Frame(header: raw.header, plaintext: Array(raw.payload)))
        }
    }
    #expect(decoder.bufferedCount == 0, "trailing partial frame")
    return frames
}

/// `Vectors/ztp1-handshake.json` (ZTP-1 section 9), member names as in the file.
struct ZTP1Vector: Decodable {
    struct Inputs: Decodable {
        var client_ephemeral_private: String
        var server_ephemeral_private: String
        var server_identity_seed: String
        var token_secret: String
        var token_header: String
        var token_claims: String
        var verification_time: Double
        var handshake_ack_plaintext: String
        var wrong_token_secret: String
    }

    struct WireFrame: Decodable {
        struct Close: Decodable {
            var code: UInt16
            var name: String
            var reason: String
        }

        var name: String
        var direction: String
        var type: UInt16
        var stream: UInt32
        var seq: UInt64?
        var key: String?
        var nonce: String
        var plaintext: String
        var increment: UInt32?
        var close: Close?
        var frame: String
    }

    struct KeyUpdate: Decodable {
        var old_key: String
        var new_key: String
        var new_seq: UInt64
        var after_frame_seq: UInt64
    }

    struct TokenFailure: Decodable {
        var token_secret_used: String
        var token: String
        var close_code: UInt16
        var close_reason_text: String
        var frames: [WireFrame]
    }

    var inputs: Inputs
    var e_c: String
    var e_s: String
    var S_pub: String
    var CH: String
    var SH_head: String
    var sig_message: String
    var sig: String
    var SH: String
    var dh: String
    var th: String
    var prk: String
    var k_c2s: String
    var k_s2c: String
    var sid: String
    var token: String
    var frames: [WireFrame]
    var key_update: KeyUpdate
    var token_failure: TokenFailure

    static func load() throws -> ZTP1Vector {
        try Vectors.load(ZTP1Vector.self, "ztp1-handshake.json")
    }

    var now: Double { inputs.verification_time }
    var roles: Set<String> { ["admin", "user", "observer"] }

    /// The vector's server: fixed ephemeral and identity, default parameters, nothing revoked.
    func server() -> ServerConnection {
        let time = now
        let roles = self.roles
        let verifier = TokenVerifier(secret: SecretBytes(hex(inputs.token_secret)), now: { time },
                                     isKnownRole: { roles.contains($0) }, isRevoked: { _ in false })
        let handshake = ServerHandshake(configuration: .init(), identity: Ed25519.KeyPair(seed: SecretBytes(hex(inputs.server_identity_seed))),
                                        verifier: verifier, acceptedAt: time,
                                        ephemeral: X25519.KeyPair(privateKey: SecretBytes(hex(inputs.server_ephemeral_private))))
        return ServerConnection(server: handshake, admission: Peers.admission)
    }

    /// The vector's client, pinned to `S_pub`. Credit is manual so that the vector's
    /// WINDOW_UPDATE can be produced through `consumed`.
    func client(token: String) -> ClientConnection {
        var limits = SessionLimits()
        limits.automaticCredit = false
        return ClientConnection(token: Array(token.utf8), trust: .pinned(hex(S_pub)), limits: limits, now: now,
                                ephemeral: X25519.KeyPair(privateKey: SecretBytes(hex(inputs.client_ephemeral_private))))
    }
}
