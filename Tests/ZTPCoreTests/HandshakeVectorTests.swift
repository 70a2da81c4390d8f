import Testing
@testable import ZTPCore

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
        #expect(!client.hasOutbound, "manual credit: nothing is given back before the application consumes")

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
        #expect(server.receive(initFrame, now: now).isEmpty && !server.hasOutbound)
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

/// The handshake's failure rules (sections 2.0, 3.2, 3.3, 3.4), on the vector's fixed keys so
/// that a misbehaving peer's frames can be sealed with `FrameSealer` at the right counter.
@Suite("Handshake rules (sections 2.0 and 3)")
struct HandshakeRuleTests {
    /// RFC 7748 points of small order (and non-canonical encodings of them): X25519 with any
    /// scalar gives the all-zero secret.
    static let lowOrderPoints = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ]

    /// A vector client that has sent CLIENT_HELLO, and a vector server that has answered it.
    static func afterHellos() throws -> (v: ZTP1Vector, client: ClientConnection, server: ServerConnection, sh: [UInt8]) {
        let v = try ZTP1Vector.load()
        var client = v.client(token: v.token)
        var server = v.server()
        _ = server.receive(client.takeOutbound(), now: v.now)
        let sh = server.takeOutbound()
        return (v, client, server, sh)
    }

    /// A SERVER_HELLO for `clientHello` with any ephemeral key, correctly signed by `identity`.
    static func serverHello(clientHello: [UInt8], ephemeral: [UInt8], identity: Ed25519.KeyPair = Peers.identity) -> [UInt8] {
        let head = FrameHeader(type: .serverHello, streamID: 0, sequence: 0, length: 128).bytes + ephemeral + identity.publicKey
        return head + identity.sign(KeySchedule.signedMessage(clientHello: clientHello, serverHelloHead: head))
    }

    @Test("a low-order client key: the server closes without SERVER_HELLO", arguments: lowOrderPoints)
    func lowOrderClientKey(point: String) {
        var server = Peers.server()
        let hello = FrameHeader(type: .clientHello, streamID: 0, sequence: 0, length: 32).bytes + hex(point)
        let events = server.receive(hello, now: Peers.start)
        #expect(protocolError(in: events)?.kind == .lowOrderKey)
        #expect(server.isClosed && !server.hasOutbound)
    }

    @Test("a low-order server key, correctly signed: the client closes without HANDSHAKE_INIT", arguments: lowOrderPoints)
    func lowOrderServerKey(point: String) {
        var client = Peers.client()
        let ch = client.takeOutbound()
        let events = client.receive(Self.serverHello(clientHello: ch, ephemeral: hex(point)), now: Peers.start)
        #expect(protocolError(in: events)?.kind == .lowOrderKey)
        #expect(client.isClosed && !client.hasOutbound)
    }

    @Test("a server key other than the pinned one: the client sends nothing after CLIENT_HELLO")
    func wrongPinnedKey() throws {
        var (v, client, _, sh) = try Self.afterHellos()
        client = ClientConnection(token: Array(v.token.utf8), trust: .pinned(Ed25519.KeyPair().publicKey), now: v.now,
                                  ephemeral: X25519.KeyPair(privateKey: SecretBytes(hex(v.inputs.client_ephemeral_private))))
        #expect(client.takeOutbound().hexString == v.CH)
        let events = client.receive(sh, now: v.now)
        #expect(protocolError(in: events)?.kind == .untrustedServerKey)
        #expect(client.isClosed && !client.hasOutbound)
        #expect(client.handshake.serverKey == nil)
    }

    @Test("trust on first use: the client's own decision is asked with S_pub")
    func customTrust() throws {
        let v = try ZTP1Vector.load()
        let pair = X25519.KeyPair(privateKey: SecretBytes(hex(v.inputs.client_ephemeral_private)))
        let sPub = hex(v.S_pub)
        var accepting = ClientConnection(token: Array(v.token.utf8), trust: .custom({ $0 == sPub }), now: v.now, ephemeral: pair)
        _ = accepting.takeOutbound()
        #expect(accepting.receive(hex(v.SH), now: v.now).isEmpty)
        #expect(accepting.takeOutbound().hexString == v.frames[2].frame)
        var refusing = ClientConnection(token: Array(v.token.utf8), trust: .custom({ _ in false }), now: v.now, ephemeral: pair)
        _ = refusing.takeOutbound()
        #expect(protocolError(in: refusing.receive(hex(v.SH), now: v.now))?.kind == .untrustedServerKey)
        #expect(!refusing.hasOutbound)
    }

    @Test("a bad server signature: the client closes and sends nothing", arguments: [64, 100, 151, 30, 60])
    func badSignature(flip index: Int) throws {
        var (v, client, _, sh) = try Self.afterHellos()
        sh[index] ^= 0x01
        let events = client.receive(sh, now: v.now)
        // Flipping e_s or S_pub breaks the signature too: it covers SH_head. (S_pub is checked
        // against the pin only after the signature verifies.)
        #expect(protocolError(in: events)?.kind == .badServerSignature)
        #expect(client.isClosed && !client.hasOutbound)
    }

    @Test("a SERVER_HELLO signed for another CLIENT_HELLO is refused (the signature binds CH)")
    func replayedServerHello() throws {
        let v = try ZTP1Vector.load()
        var client = Peers.client(trust: .pinned(hex(v.S_pub)))
        _ = client.takeOutbound()
        #expect(protocolError(in: client.receive(hex(v.SH), now: v.now))?.kind == .badServerSignature)
        #expect(!client.hasOutbound)
    }

    @Test("hellos with a non-zero nonce are refused silently, before any key exists")
    func helloNonce() throws {
        let v = try ZTP1Vector.load()
        var server = v.server()
        var ch = hex(v.CH)
        ch[19] = 1
        #expect(protocolError(in: server.receive(ch, now: v.now))?.kind == .helloNonce)
        #expect(!server.hasOutbound)

        var client = v.client(token: v.token)
        _ = client.takeOutbound()
        var sh = hex(v.SH)
        sh[8] = 0x10
        #expect(protocolError(in: client.receive(sh, now: v.now))?.kind == .helloNonce)
        #expect(!client.hasOutbound)
    }

    @Test("anything but CLIENT_HELLO first is refused silently by the server",
          arguments: [rawHeader(type: 1, length: 17) + [UInt8](repeating: 0, count: 17),
                      rawHeader(type: 3, stream: 1, length: 16) + [UInt8](repeating: 0, count: 16),
                      rawHeader(type: 7, length: 24) + [UInt8](repeating: 0, count: 24),
                      rawHeader(type: 4, length: 18) + [UInt8](repeating: 0, count: 18)])
    func serverFirstFrame(frame: [UInt8]) {
        var server = Peers.server()
        #expect(protocolError(in: server.receive(frame, now: Peers.start))?.kind == .unexpectedFrame)
        #expect(!server.hasOutbound && server.isClosed)
    }

    @Test("anything but SERVER_HELLO first is refused silently by the client")
    func clientFirstFrame() throws {
        let v = try ZTP1Vector.load()
        for frame in [hex(v.frames[3].frame), hex(v.frames[5].frame), hex(v.token_failure.frames[1].frame)] {
            var client = v.client(token: v.token)
            _ = client.takeOutbound()
            #expect(protocolError(in: client.receive(frame, now: v.now))?.kind == .unexpectedFrame)
            #expect(!client.hasOutbound && client.isClosed)
        }
    }

    @Test("a frame other than HANDSHAKE_INIT after SERVER_HELLO: CLOSE(0, PROTOCOL_ERROR) under k_s2c seq 0",
          arguments: [Frame.data(stream: 1, payload: [1]), .ping(opaque: [1, 2, 3, 4, 5, 6, 7, 8]), .keyUpdate,
                      .close(stream: 0, code: .normal, reason: [])])
    func serverOutOfPlace(frame: Frame) throws {
        var (v, client, server, sh) = try Self.afterHellos()
        _ = client.receive(sh, now: v.now)
        _ = client.takeOutbound()
        var sealer = FrameSealer(key: SecretBytes(hex(v.k_c2s)))
        var bytes: [UInt8] = []
        sealer.seal(frame, appendingTo: &bytes)
        #expect(protocolError(in: server.receive(bytes, now: v.now))?.kind == .unexpectedFrame)
        let close = server.takeOutbound()
        #expect(try openFrames(close, sentBy: .server, key: SecretBytes(hex(v.k_s2c)))
                == [.close(stream: 0, code: .protocolError, reason: Array("unexpected_frame".utf8))])
        // The client, waiting for the ACK, opens it.
        #expect(peerClose(in: client.receive(close, now: v.now)) == .protocolError)
    }

    @Test("the out-of-place check is on the header: a DATA instead of HANDSHAKE_INIT with a wrong nonce still gets CLOSE")
    func serverOutOfPlaceBeforeNonce() throws {
        var (v, _, server, _) = try Self.afterHellos()
        let events = server.receive(rawHeader(type: 3, stream: 1, seq: 9, length: 17) + [UInt8](repeating: 0, count: 17), now: v.now)
        #expect(protocolError(in: events)?.kind == .unexpectedFrame)
        #expect(try openFrames(server.takeOutbound(), sentBy: .server, key: SecretBytes(hex(v.k_s2c))).first?.type == .close)
    }

    @Test("a second CLIENT_HELLO after SERVER_HELLO is a protocol error with CLOSE")
    func secondClientHello() throws {
        var (v, _, server, _) = try Self.afterHellos()
        #expect(protocolError(in: server.receive(hex(v.CH), now: v.now))?.kind == .unexpectedFrame)
        #expect(server.hasOutbound)
    }

    @Test("a HANDSHAKE_INIT that fails to open, or has the wrong counter, closes silently")
    func badInit() throws {
        var (v, _, server, _) = try Self.afterHellos()
        var tampered = hex(v.frames[2].frame)
        tampered[40] ^= 0x20
        #expect(protocolError(in: server.receive(tampered, now: v.now))?.kind == .decryptFailed)
        #expect(!server.hasOutbound)

        var (_, _, other, _) = try Self.afterHellos()
        var sealer = FrameSealer(key: SecretBytes(hex(v.k_c2s)))
        var skipped: [UInt8] = []
        sealer.seal(.ping(opaque: [0, 0, 0, 0, 0, 0, 0, 0]), appendingTo: &skipped)
        skipped = []
        sealer.seal(.handshakeInit(token: Array(v.token.utf8)), appendingTo: &skipped)
        #expect(protocolError(in: other.receive(skipped, now: v.now))?.kind == .nonceMismatch)
        #expect(!other.hasOutbound)
    }

    @Test("the server may accept frames that follow HANDSHAKE_INIT in the same read")
    func framesAfterInit() throws {
        var (v, client, server, sh) = try Self.afterHellos()
        _ = client.receive(sh, now: v.now)
        var bytes = client.takeOutbound()
        var sealer = FrameSealer(key: SecretBytes(hex(v.k_c2s)))
        var skip: [UInt8] = []
        sealer.seal(.handshakeInit(token: Array(v.token.utf8)), appendingTo: &skip)
        #expect(skip == bytes)
        sealer.seal(.data(stream: 2, payload: Array("ping".utf8)), appendingTo: &bytes)
        let events = server.receive(bytes, now: v.now)
        #expect(events.count == 3)
        #expect(events.dropFirst() == [.streamOpened(2), .data(stream: 2, payload: Array("ping".utf8))])
    }

    @Test("waiting for HANDSHAKE_ACK, anything but ACK or CLOSE(0) is answered with CLOSE(PROTOCOL_ERROR)",
          arguments: [Frame.data(stream: 2, payload: [1]), .ping(opaque: [1, 1, 1, 1, 1, 1, 1, 1]), .keyUpdate,
                      .close(stream: 3, code: .normal, reason: []), .windowUpdate(stream: 1, increment: 5)])
    func clientOutOfPlace(frame: Frame) throws {
        var (v, client, server, sh) = try Self.afterHellos()
        _ = client.receive(sh, now: v.now)
        _ = server.receive(client.takeOutbound(), now: v.now)
        var sealer = FrameSealer(key: SecretBytes(hex(v.k_s2c)))
        var bytes: [UInt8] = []
        sealer.seal(frame, appendingTo: &bytes)
        #expect(protocolError(in: client.receive(bytes, now: v.now))?.kind == .unexpectedFrame)
        // CLOSE at c2s seq 1, which the (established) server opens.
        let close = client.takeOutbound()
        #expect(close.count == 24 + 2 + "unexpected_frame".utf8.count + 16)
        #expect(peerClose(in: server.receive(close, now: v.now)) == .protocolError)
    }

    @Test("waiting for HANDSHAKE_ACK, a DATA header with a wrong nonce is still refused on its type, with CLOSE")
    func clientOutOfPlaceBeforeNonce() throws {
        var (v, client, server, sh) = try Self.afterHellos()
        _ = client.receive(sh, now: v.now)
        _ = server.receive(client.takeOutbound(), now: v.now)
        let events = client.receive(rawHeader(type: 3, stream: 1, seq: 5, length: 17) + [UInt8](repeating: 0, count: 17), now: v.now)
        #expect(protocolError(in: events)?.kind == .unexpectedFrame)
        #expect(peerClose(in: server.receive(client.takeOutbound(), now: v.now)) == .protocolError)
    }

    @Test("waiting for HANDSHAKE_ACK: a second SERVER_HELLO gets CLOSE; an ACK that fails to open is silent")
    func clientAckFailures() throws {
        var (v, client, _, sh) = try Self.afterHellos()
        _ = client.receive(sh, now: v.now)
        _ = client.takeOutbound()
        var copy = client
        #expect(protocolError(in: copy.receive(sh, now: v.now))?.kind == .unexpectedFrame)
        #expect(copy.hasOutbound)

        var ack = hex(v.frames[3].frame)
        ack[ack.count - 1] ^= 1
        #expect(protocolError(in: client.receive(ack, now: v.now))?.kind == .decryptFailed)
        #expect(!client.hasOutbound)
    }

    @Test("an ACK that is not the expected JSON, or announces unusable parameters, is a protocol error with CLOSE",
          arguments: ["not json", "[]", #"{"client_id":"alice","role":"user"}"#,
                      #"{"session":"s","client_id":"alice","role":"user","heartbeat_interval":30}"#,
                      #"{"session":"s","client_id":"alice","role":"user","max_frame":1000}"#,
                      #"{"session":"s","client_id":"alice","role":"user","stream_window":0}"#,
                      #"{"session":"s","client_id":"alice","role":"user","max_streams":0}"#,
                      #"{"session":"s","client_id":"alice","role":"user","stream_window":2147483648}"#])
    func badAck(json: String) throws {
        var (v, client, _, sh) = try Self.afterHellos()
        _ = client.receive(sh, now: v.now)
        _ = client.takeOutbound()
        var sealer = FrameSealer(key: SecretBytes(hex(v.k_s2c)))
        var bytes: [UInt8] = []
        sealer.seal(.handshakeAck(parameters: Array(json.utf8)), appendingTo: &bytes)
        #expect(protocolError(in: client.receive(bytes, now: v.now))?.kind == .badPayload)
        #expect(try openFrames(hex(v.frames[2].frame) + client.takeOutbound(), sentBy: .client, key: SecretBytes(hex(v.k_c2s))).dropFirst()
                == [.close(stream: 0, code: .protocolError, reason: Array("bad_payload".utf8))])
    }

    @Test("the client ignores ACK members it does not know and takes defaults for absent ones")
    func lenientAck() throws {
        let ack = try HandshakeAcknowledgement(parsing: Array(
            #"{"session":"abc","client_id":"bob","role":"admin","stream_window":1000,"future":{"x":[1,2]},"motd":"hi"}"#.utf8))
        #expect(ack.sessionID == "abc" && ack.clientID == "bob" && ack.role == "admin")
        #expect(ack.parameters == SessionParameters(streamWindow: 1000))
        let json = HandshakeAcknowledgement(sessionID: "s", clientID: "c\"", role: "r", parameters: SessionParameters()).json
        #expect(try HandshakeAcknowledgement(parsing: json).clientID == "c\"")
    }
}
