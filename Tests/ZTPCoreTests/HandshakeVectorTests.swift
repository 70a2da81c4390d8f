import Testing
@testable import ZTPCore

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

@Suite("ZTP/1 handshake vector (section 9)")
struct HandshakeVectorTests {
    @Test("the key schedule's intermediate values match dh, th, prk, keys and sid")
    func keySchedule() throws {
        let v = try ZTP1Vector.load()
        let clientPair = X25519.KeyPair(privateKey: SecretBytes(hex(v.inputs.client_ephemeral_private)))
        let serverPair = X25519.KeyPair(privateKey: SecretBytes(hex(v.inputs.server_ephemeral_private)))
        let identity = Ed25519.KeyPair(seed: SecretBytes(hex(v.inputs.server_identity_seed)))
        #expect(clientPair.publicKey.hexString == v.e_c)
        #expect(serverPair.publicKey.hexString == v.e_s)
        #expect(identity.publicKey.hexString == v.S_pub)

        let dh1 = try #require(X25519.sharedSecret(privateKey: clientPair.privateKey, peerPublicKey: serverPair.publicKey))
        let dh2 = try #require(X25519.sharedSecret(privateKey: serverPair.privateKey, peerPublicKey: clientPair.publicKey))
        #expect(dh1.bytes.hexString == v.dh)
        #expect(dh2.bytes.hexString == v.dh)

        let message = KeySchedule.signedMessage(clientHello: hex(v.CH), serverHelloHead: hex(v.SH_head))
        #expect(message.hexString == v.sig_message)
        #expect(identity.sign(message).hexString == v.sig)
        #expect(Ed25519.verify(signature: hex(v.sig), message: message, publicKey: hex(v.S_pub)))
        #expect((hex(v.SH_head) + hex(v.sig)).hexString == v.SH)

        let th = SHA256.hash(hex(v.CH) + hex(v.SH))
        #expect(th.hexString == v.th)
        let prk = HKDF.extract(salt: th, ikm: dh1)
        #expect(prk.hexString == v.prk)
        #expect(HKDF.expand(prk: prk, info: Array("ZTP/1 c2s key".utf8), count: 32)?.hexString == v.k_c2s)
        #expect(HKDF.expand(prk: prk, info: Array("ZTP/1 s2c key".utf8), count: 32)?.hexString == v.k_s2c)
        #expect(HKDF.expand(prk: prk, info: Array("ZTP/1 session id".utf8), count: 16)?.hexString == v.sid)

        let keys = KeySchedule(dh: dh1, clientHello: hex(v.CH), serverHello: hex(v.SH))
        #expect(keys.transcriptHash.hexString == v.th)
        #expect(keys.clientToServer.bytes.hexString == v.k_c2s)
        #expect(keys.serverToClient.bytes.hexString == v.k_s2c)
        #expect(keys.sessionID.hexString == v.sid)
        #expect(keys.sessionIDHex == v.sid)

        #expect(KeySchedule.nextKey(after: SecretBytes(hex(v.key_update.old_key))).bytes.hexString == v.key_update.new_key)
        #expect(v.key_update.old_key == v.k_c2s)
        #expect(v.key_update.new_seq == 0)
    }

    @Test("TokenMinter with the vector's claims reproduces the token and its JSON parts exactly")
    func token() throws {
        let v = try ZTP1Vector.load()
        let claims = TokenClaims(subject: "alice", role: "user", issuedAt: 1_767_225_600, expiresAt: 4_102_444_800,
                                 id: "0123456789abcdef0123456789abcdef")
        #expect(Array(TokenMinter.header.utf8).hexString == v.inputs.token_header)
        #expect(Array(TokenMinter.claimsJSON(claims).utf8).hexString == v.inputs.token_claims)
        #expect(TokenMinter(secret: SecretBytes(hex(v.inputs.token_secret))).mint(claims) == v.token)
        #expect(TokenMinter(secret: SecretBytes(hex(v.inputs.wrong_token_secret))).mint(claims) == v.token_failure.token)
        #expect(v.token_failure.token_secret_used == v.inputs.wrong_token_secret)

        let verified = try Peers.verifier(now: v.now).verify(Array(v.token.utf8)).get()
        #expect(verified == claims)
    }

    @Test("every encrypted frame of the vector opens under its key, seq and header")
    func framesOpenUnderTheirKeys() throws {
        let v = try ZTP1Vector.load()
        for frame in v.frames + v.token_failure.frames {
            let bytes = hex(frame.frame)
            let header = try bytes.withUnsafeBytes { b throws(ZTPError) in
                try FrameHeader.parse(b, sentBy: frame.direction == "c2s" ? .client : .server)
            }
            #expect(header.type.rawValue == frame.type, "\(frame.name)")
            #expect(header.streamID == frame.stream, "\(frame.name)")
            #expect(Array(bytes[8..<20]).hexString == frame.nonce, "\(frame.name)")
            guard let key = frame.key, let seq = frame.seq else {
                #expect(Array(bytes[24...]).hexString == frame.plaintext, "\(frame.name)")
                continue
            }
            #expect(header.sequence == seq, "\(frame.name)")
            let opened = ChaChaPoly.open(key: hex(key), nonce: Array(bytes[8..<20]), aad: Array(bytes[0..<24]),
                                         sealed: Array(bytes[24...]))
            #expect(opened?.hexString == frame.plaintext, "\(frame.name) seq \(seq)")
            if let close = frame.close {
                let parsed = try Frame(header: header, plaintext: hex(frame.plaintext))
                #expect(parsed == .close(stream: frame.stream, code: CloseCode(rawValue: close.code), reason: Array(close.reason.utf8)))
                #expect(CloseCode(rawValue: close.code).name == close.name)
            }
            if let increment = frame.increment {
                #expect(try Frame(header: header, plaintext: hex(frame.plaintext)) == .windowUpdate(stream: frame.stream, increment: increment))
            }
        }
    }

    @Test("both roles driven from the fixed inputs reproduce every frame of the session byte for byte")
    func sessionByteForByte() throws {
        let v = try ZTP1Vector.load()
        let f = v.frames.map { hex($0.frame) }
        #expect(v.frames.map(\.name) == ["CLIENT_HELLO", "SERVER_HELLO", "HANDSHAKE_INIT", "HANDSHAKE_ACK", "DATA", "DATA",
                                         "WINDOW_UPDATE", "PING", "KEY_UPDATE", "DATA", "CLOSE"])
        let now = v.now
        var server = v.server()
        var client = v.client(token: v.token)

        // CLIENT_HELLO: written when the client is created.
        let ch = client.takeOutbound()
        #expect(ch.hexString == v.CH)
        #expect(ch == f[0])

        // SERVER_HELLO.
        #expect(server.receive(ch, now: now).isEmpty)
        let sh = server.takeOutbound()
        #expect(sh.hexString == v.SH)
        #expect(sh == f[1])
        #expect(Array(sh.prefix(88)).hexString == v.SH_head)

        // HANDSHAKE_INIT with the token, k_c2s seq 0.
        #expect(client.receive(sh, now: now).isEmpty)
        #expect(client.handshake.serverKey?.hexString == v.S_pub)
        let initFrame = client.takeOutbound()
        #expect(initFrame == f[2])

        // HANDSHAKE_ACK with the default parameters, k_s2c seq 0.
        let serverEvents = server.receive(initFrame, now: now)
        let serverInfo = try #require(server.session)
        #expect(serverEvents == [.established(serverInfo)])
        #expect(serverInfo.sessionID == v.sid)
        #expect(serverInfo.clientID == "alice" && serverInfo.role == "user")
        #expect(serverInfo.tokenID == "0123456789abcdef0123456789abcdef" && serverInfo.tokenExpiresAt == 4_102_444_800)
        #expect(HandshakeAcknowledgement(sessionID: v.sid, clientID: "alice", role: "user", parameters: SessionParameters()).json.hexString
                == v.inputs.handshake_ack_plaintext)
        let ack = server.takeOutbound()
        #expect(ack == f[3])
        #expect(try openFrames(ack, sentBy: .server, key: SecretBytes(hex(v.k_s2c)))
                == [.handshakeAck(parameters: hex(v.inputs.handshake_ack_plaintext))])

        let clientEvents = client.receive(ack, now: now)
        let clientInfo = try #require(client.session)
        #expect(clientEvents == [.established(clientInfo)])
        #expect(clientInfo.sessionID == v.sid)
        #expect(clientInfo.parameters == SessionParameters())

        // DATA "ping" on stream 2, c2s seq 1.
        #expect(client.sendData(stream: 2, payload: Array("ping".utf8), now: now) == .sent)
        let ping = client.takeOutbound()
        #expect(ping == f[4])
        #expect(server.receive(ping, now: now) == [.streamOpened(2), .data(stream: 2, payload: Array("ping".utf8))])

        // DATA "pong" on stream 2, s2c seq 1.
        #expect(server.sendData(stream: 2, payload: Array("pong".utf8), now: now) == .sent)
        let pong = server.takeOutbound()
        #expect(pong == f[5])
        #expect(client.receive(pong, now: now) == [.data(stream: 2, payload: Array("pong".utf8))])
        #expect(client.outbound.isEmpty, "manual credit: nothing is given back before the application consumes")

        // WINDOW_UPDATE(2, 131072), c2s seq 2: the application reports half the window consumed,
        // which is when section 4.1 says credit goes back.
        client.consumed(stream: 2, count: 131_072, now: now)
        let windowUpdate = client.takeOutbound()
        #expect(windowUpdate == f[6])
        #expect(server.receive(windowUpdate, now: now).isEmpty)
        #expect(server.streams[2]?.sendWindow.available == 262_144 - 4 + 131_072)

        // PING 0102030405060708, c2s seq 3. The server answers PONG at s2c seq 2.
        client.ping(hex("0102030405060708"), now: now)
        let pingFrame = client.takeOutbound()
        #expect(pingFrame == f[7])
        #expect(server.receive(pingFrame, now: now).isEmpty)
        let serverPong = server.takeOutbound()
        var answered = client
        #expect(answered.receive(serverPong, now: now) == [.pong(hex("0102030405060708"))])

        // KEY_UPDATE, c2s seq 4; the client's next key is HKDF-Expand(k_c2s, "ZTP/1 key update").
        client.updateSendKey(now: now)
        let keyUpdate = client.takeOutbound()
        #expect(keyUpdate == f[8])
        #expect(client.sendKeyEpoch == 1)
        #expect(client.nextSendSequence == v.key_update.new_seq)
        #expect(server.receive(keyUpdate, now: now).isEmpty)
        #expect(server.receiveKeyEpoch == 1)

        // DATA "hello" on stream 1 under the new key, seq 0.
        #expect(v.frames[9].key == v.key_update.new_key)
        #expect(client.sendData(stream: 1, payload: Array("hello".utf8), now: now) == .sent)
        let hello = client.takeOutbound()
        #expect(hello == f[9])
        #expect(server.receive(hello, now: now) == [.streamOpened(1), .data(stream: 1, payload: Array("hello".utf8))])

        // CLOSE(1, IDLE_TIMEOUT, "idle") at s2c seq 2. A real server has answered the PING with
        // PONG at seq 2 by then, so the vector's CLOSE is sealed with FrameSealer at its seq
        // and opened by the client that has not read that PONG.
        var sealer = FrameSealer(key: SecretBytes(hex(v.k_s2c)))
        var s2c: [UInt8] = []
        sealer.seal(.handshakeAck(parameters: hex(v.inputs.handshake_ack_plaintext)), appendingTo: &s2c)
        sealer.seal(.data(stream: 2, payload: Array("pong".utf8)), appendingTo: &s2c)
        #expect(s2c == f[3] + f[5], "FrameSealer reproduces the server's first two frames")
        var close: [UInt8] = []
        sealer.seal(.close(stream: 1, code: .idleTimeout, reason: Array("idle".utf8)), appendingTo: &close)
        #expect(close == f[10])
        // The client opened stream 1 by sending "hello".
        #expect(client.receive(close, now: now) == [.streamClosed(1, .idleTimeout, reason: "idle", byPeer: true)])
        #expect(client.streams[1] == nil && client.isEstablished)

        // The real server closes the idle streams with the same plaintext, after its PONG.
        let idle = server.tick(now: now + 30)
        #expect(idle == [.streamClosed(1, .idleTimeout, reason: "idle", byPeer: false),
                         .streamClosed(2, .idleTimeout, reason: "idle", byPeer: false)])
        let closes = try openFrames(s2c + serverPong + server.takeOutbound(), sentBy: .server, key: SecretBytes(hex(v.k_s2c)))
        #expect(Array(closes.dropFirst(2)) == [
            .pong(opaque: hex("0102030405060708")),
            .close(stream: 1, code: .idleTimeout, reason: Array("idle".utf8)),
            .close(stream: 2, code: .idleTimeout, reason: Array("idle".utf8)),
        ])
        #expect(closes[3].plaintext.hexString == v.frames[10].plaintext)
    }

    @Test("a token signed with the wrong secret gets CLOSE(0, AUTH_FAILED, \"auth failed\") byte for byte")
    func tokenFailure() throws {
        let v = try ZTP1Vector.load()
        let failure = v.token_failure
        let now = v.now
        var server = v.server()
        var client = v.client(token: failure.token)

        let ch = client.takeOutbound()
        #expect(ch.hexString == v.CH)
        _ = server.receive(ch, now: now)
        let sh = server.takeOutbound()
        #expect(sh.hexString == v.SH)
        _ = client.receive(sh, now: now)
        let initFrame = client.takeOutbound()
        #expect(initFrame == hex(failure.frames[0].frame))

        let serverEvents = server.receive(initFrame, now: now)
        #expect(serverEvents == [.closed(.local(.authFailed))])
        #expect(server.isClosed && server.session == nil)
        #expect(server.handshake.authenticationFailure?.code == .authFailed)
        let close = server.takeOutbound()
        #expect(close == hex(failure.frames[1].frame))
        #expect(failure.close_code == CloseCode.authFailed.rawValue)
        #expect(try openFrames(close, sentBy: .server, key: SecretBytes(hex(v.k_s2c)))
                == [.close(stream: 0, code: .authFailed, reason: Array(failure.close_reason_text.utf8))])

        #expect(client.receive(close, now: now) == [.closed(.peerClosed(.authFailed, reason: failure.close_reason_text))])
        #expect(client.isClosed && client.session == nil)
        #expect(client.takeOutbound().isEmpty)
        // Whatever follows is ignored by both.
        #expect(server.receive(initFrame, now: now).isEmpty && server.outbound.isEmpty)
    }

    @Test("the vector's session survives being fed one byte at a time")
    func dripFed() throws {
        let v = try ZTP1Vector.load()
        var pump = Pump(client: v.client(token: v.token), server: v.server(), now: v.now, dripFeed: true)
        pump.run()
        let (c, s) = pump.takeEvents()
        #expect(c.count == 1 && s.count == 1)
        #expect(pump.clientSent.hexString == v.CH + v.frames[2].frame)
        #expect(pump.serverSent.hexString == v.SH + v.frames[3].frame)
        #expect(pump.client.session?.sessionID == v.sid)
    }
}
