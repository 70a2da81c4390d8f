import ZTPTestSupport
import Testing
@testable import ZTPCore

/// How long a session may last and who may hold one (ZTP-1 revisions of 2026-12-01): it ends
/// with its token, a client gives up on a silent server, the server may refuse a session past
/// its per-client cap in place of HANDSHAKE_ACK, and the client checks the ACK's session.
@Suite("Session lifetime")
struct SessionLifetimeTests {
    static let t0 = Peers.start

    @Test("at the token's exp the server sends CLOSE(0, TOKEN_EXPIRED) and the client sees why")
    func tokenExpires() throws {
        let claims = Peers.claims(exp: Int64(Self.t0) + 100)
        var pump = Pump(client: Peers.client(token: Peers.token(claims)), server: Peers.server())
        pump.run()
        try #require(pump.server.isEstablished)
        _ = pump.takeEvents()
        // Busy right up to the end (PINGs every heartbeat): activity does not extend it.
        for second in stride(from: 5.0, through: 95, by: 5) { pump.tick(to: Self.t0 + second) }
        pump.tick(to: Self.t0 + 99.9)
        _ = pump.takeEvents()
        #expect(pump.server.isEstablished)
        #expect(pump.server.nextDeadline == Self.t0 + 100)
        pump.tick(to: Self.t0 + 100)
        let (client, server) = pump.takeEvents()
        #expect(server == [.closed(.local(.tokenExpired))])
        #expect(client == [.closed(.peerClosed(.tokenExpired, reason: "token expired"))])
        #expect(pump.server.isClosed && pump.client.isClosed)
    }

    @Test("a client that hears nothing for 3 x heartbeat_interval closes with IDLE_TIMEOUT and reports a timeout")
    func clientGivesUpOnSilentServer() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 1, payload: [], now: Self.t0)
        pump.run()
        // From here on the server's bytes never arrive.
        var client = pump.client
        var sent: [UInt8] = []
        var now = Self.t0
        while now < Self.t0 + 44 {
            now += 1
            #expect(client.tick(now: now).isEmpty, "at \(now - Self.t0) s")
            sent += client.takeOutbound()
        }
        // A PING each heartbeat (15 s) although the keep-alive DATA on stream 1 went out too.
        #expect(try pump.server.peek(sent).filter { $0.type == .ping }.count == 2)
        #expect(client.tick(now: Self.t0 + 45) == [.closed(.timeout)])
        #expect(client.isClosed)
        sent += client.takeOutbound()
        #expect(try pump.server.peek(sent).last == .close(stream: 0, code: .idleTimeout, reason: Array("idle".utf8)))
    }

    @Test("a server that answers keeps the client's session up indefinitely")
    func answeredPingsKeepTheSession() throws {
        var pump = try Pump.established()
        for second in stride(from: 1.0, through: 300, by: 1) {
            pump.tick(to: Self.t0 + second)
        }
        #expect(pump.client.isEstablished)
        // The server closed nothing either: it heard a PING every heartbeat.
        #expect(pump.server.isEstablished)
    }

    @Test("past the per-client cap the server sends CLOSE(0, TOO_MANY_SESSIONS) in place of HANDSHAKE_ACK")
    func tooManySessions() throws {
        let verifier = Peers.verifier()
        let server = ServerConnection(server: ServerHandshake(configuration: .init(), identity: Peers.identity, verifier: verifier,
                                                              acceptedAt: Self.t0, sessionAdmission: { claims in
                                                                  claims.subject == "alice" ? .tooManySessions : nil
                                                              }),
                                      admission: Peers.admission)
        var pump = Pump(client: Peers.client(), server: server)
        pump.run()
        let (client, serverEvents) = pump.takeEvents()
        #expect(serverEvents == [.closed(.local(.tooManySessions))])
        #expect(client == [.closed(.peerClosed(.tooManySessions, reason: "too many sessions"))])
        #expect(pump.server.session == nil && pump.server.handshake.authenticationFailure == nil)
        #expect(CloseCode.tooManySessions.rawValue == 14 && CloseCode.tooManySessions.name == "TOO_MANY_SESSIONS")
    }

    @Test("the session admission runs only for tokens that pass every check of 3.5")
    func admissionAfterTokenCheck() throws {
        let asked = Counter()
        let server = ServerConnection(server: ServerHandshake(configuration: .init(), identity: Peers.identity,
                                                              verifier: Peers.verifier(revoked: ["0123456789abcdef0123456789abcdef"]),
                                                              acceptedAt: Self.t0, sessionAdmission: { _ in
                                                                  asked.increment()
                                                                  return nil
                                                              }),
                                      admission: Peers.admission)
        var pump = Pump(client: Peers.client(), server: server)
        pump.run()
        #expect(pump.takeEvents().server == [.closed(.local(.tokenRevoked))])
        #expect(asked.value == 0)
    }

    @Test("an ACK naming another session is a protocol error: the client sends CLOSE(PROTOCOL_ERROR) under k_c2s")
    func ackSessionMismatch() throws {
        let v = try ZTP1Vector.load()
        var client = v.client(token: v.token)
        var server = v.server()
        _ = server.receive(client.takeOutbound(), now: v.now)
        _ = client.receive(server.takeOutbound(), now: v.now)
        _ = client.takeOutbound()
        var sealer = FrameSealer(key: SecretBytes(hex(v.k_s2c)))
        var ack: [UInt8] = []
        let other = HandshakeAcknowledgement(sessionID: String(repeating: "0", count: 32), clientID: "alice", role: "user",
                                             parameters: SessionParameters())
        sealer.seal(.handshakeAck(parameters: other.json), appendingTo: &ack)
        let events = client.receive(ack, now: v.now)
        #expect(protocolError(in: events)?.kind == .sessionMismatch)
        #expect(!client.isEstablished && client.session == nil)
        // CLOSE at c2s seq 1 (after HANDSHAKE_INIT), with PROTOCOL_ERROR.
        var opener = FrameOpener(key: SecretBytes(hex(v.k_c2s)))
        var decoder = FrameDecoder(sender: .client)
        var skip: [UInt8] = []
        var initSealer = FrameSealer(key: SecretBytes(hex(v.k_c2s)))
        initSealer.seal(.handshakeInit(token: Array(v.token.utf8)), appendingTo: &skip)
        decoder.append(skip + client.takeOutbound())
        _ = try opener.open(try #require(try decoder.next()))
        let close = try #require(try decoder.next())
        #expect(try Frame(header: close.header, plaintext: opener.open(close))
                == .close(stream: 0, code: .protocolError, reason: Array("session_mismatch".utf8)))
    }

    @Test("the CLIENT_HELLO limit ends a silent connection early, without a word; the handshake limit still holds after it")
    func clientHelloDeadline() throws {
        var configuration = ServerHandshake.Configuration()
        configuration.clientHelloTimeout = 2
        configuration.handshakeTimeout = 10
        var silent = Peers.server(configuration: configuration)
        #expect(silent.nextDeadline == Self.t0 + 2)
        #expect(silent.receive([], now: Self.t0 + 1).isEmpty)
        #expect(silent.tick(now: Self.t0 + 2) == [.closed(.timeout)])
        #expect(!silent.hasOutbound && silent.handshake.awaitsClientHello)

        // A CLIENT_HELLO arriving one byte at a time does not count until it is whole.
        var client = Peers.client()
        var slow = Peers.server(configuration: configuration)
        let hello = client.takeOutbound()
        #expect(slow.receive(Array(hello.prefix(30)), now: Self.t0 + 1).isEmpty)
        #expect(slow.receive(Array(hello.dropFirst(30)), now: Self.t0 + 2) == [.closed(.timeout)])

        // The limit never exceeds the whole handshake's.
        configuration.clientHelloTimeout = 30
        #expect(Peers.server(configuration: configuration).nextDeadline == Self.t0 + 10)
    }
}

/// A counter a `@Sendable` closure can bump.
private final class Counter: Sendable {
    private let count = LockedBox(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
