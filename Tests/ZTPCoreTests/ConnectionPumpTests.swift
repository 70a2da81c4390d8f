import Testing
@testable import ZTPCore

/// A client and a server connection pumped against each other in memory, whole or drip-fed.
@Suite("Pumped connections")
struct ConnectionPumpTests {
    static let t0 = Peers.start

    static func configuration(window: Int = 262_144, queuedBytes: Int = 1 << 20, keyUpdateFrames: UInt64 = 1 << 32,
                              keyUpdateSeconds: Double = 3600) -> ServerHandshake.Configuration {
        var configuration = ServerHandshake.Configuration()
        configuration.parameters = SessionParameters(streamWindow: window)
        configuration.limits.queuedBytes = queuedBytes
        configuration.limits.keyUpdateFrames = keyUpdateFrames
        configuration.limits.keyUpdateSeconds = keyUpdateSeconds
        return configuration
    }

    @Test("the handshake completes, whole or a byte at a time, and both sides name the same session",
          arguments: [false, true])
    func handshake(dripFeed: Bool) throws {
        var pump = Pump(client: Peers.client(), server: Peers.server(), dripFeed: dripFeed)
        #expect(pump.client.nextDeadline == Self.t0 + 10)
        // The server wants CLIENT_HELLO within 2 s, the rest of the handshake within 10.
        #expect(pump.server.nextDeadline == Self.t0 + 2)
        pump.run()
        let (client, server) = pump.takeEvents()
        let clientInfo = try #require(pump.client.session)
        let serverInfo = try #require(pump.server.session)
        #expect(client == [.established(clientInfo)])
        #expect(server == [.established(serverInfo)])
        #expect(clientInfo.sessionID == serverInfo.sessionID)
        #expect(clientInfo.sessionID.count == 32)
        #expect(clientInfo.clientID == "alice" && clientInfo.role == "user")
        #expect(clientInfo.parameters == serverInfo.parameters)
        #expect(pump.client.handshake.serverKey == Peers.identity.publicKey)
        // CH + INIT from the client, SH + ACK from the server.
        #expect(pump.clientSent.count == 56 + 24 + Peers.token().count + 16)
        #expect(pump.serverSent.count == 152 + 24 + HandshakeAcknowledgement(sessionID: serverInfo.sessionID, clientID: "alice",
                                                                              role: "user", parameters: SessionParameters()).json.count + 16)
    }

    @Test("before HANDSHAKE_ACK the client sends nothing more: data, pings, key updates and closes are refused or dropped")
    func nothingBeforeAck() throws {
        var client = Peers.client()
        var server = Peers.server()
        let initFrame = Peers.handshakeInit(&client, &server, now: Self.t0)
        #expect(!initFrame.isEmpty && !client.isEstablished)
        #expect(client.sendData(stream: 1, payload: [1], now: Self.t0) == .streamNotOpen)
        client.ping([0, 0, 0, 0, 0, 0, 0, 0], now: Self.t0)
        client.updateSendKey(now: Self.t0)
        client.consumed(stream: 1, count: 100, now: Self.t0)
        #expect(client.closeStream(1, code: .normal, reason: "", now: Self.t0) == false)
        #expect(!client.hasOutbound)
        #expect(server.sendData(stream: 1, payload: [1], now: Self.t0) == .streamNotOpen)
        // The INIT still completes the handshake.
        _ = server.receive(initFrame, now: Self.t0)
        #expect(client.receive(server.takeOutbound(), now: Self.t0).count == 1 && client.isEstablished)
    }

    @Test("chat-like DATA both ways on two streams arrives whole and in order", arguments: [false, true])
    func chat(dripFeed: Bool) throws {
        var pump = try Pump.established(dripFeed: dripFeed)
        var expectedAtServer: [ConnectionEvent] = [.streamOpened(1), .streamOpened(2)]
        var expectedAtClient: [ConnectionEvent] = []
        _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
        _ = pump.client.sendData(stream: 2, payload: [], now: pump.now)
        for round in 0..<20 {
            let line = Array("message \(round) ".utf8) + [UInt8](repeating: UInt8(round), count: round * 50)
            let stream: UInt32 = round % 3 == 0 ? 2 : 1
            #expect(pump.client.sendData(stream: stream, payload: line, now: pump.now) == .sent)
            expectedAtServer.append(.data(stream: stream, payload: line))
            pump.run()
            let reply = Array("alice: ".utf8) + line
            #expect(pump.server.sendData(stream: stream, payload: reply, now: pump.now) == .sent)
            expectedAtClient.append(.data(stream: stream, payload: reply))
            pump.run()
        }
        let (client, server) = pump.takeEvents()
        #expect(server == expectedAtServer)
        #expect(client == expectedAtClient)
        #expect(pump.server.statistics.framesIn == 22)
        #expect(pump.client.statistics.framesIn == 20)
    }

    @Test("a reader that stops: sends queue once the window is spent, then queueFull; consumed credit lets them flow")
    func stalledReader() throws {
        var limits = SessionLimits()
        limits.automaticCredit = false
        var pump = try Pump.established(configuration: Self.configuration(queuedBytes: 300_000), clientLimits: limits)
        _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
        pump.run()
        _ = pump.takeEvents()

        let message = [UInt8](repeating: 0x5A, count: 65_536)
        var outcomes: [SendOutcome] = []
        for _ in 0..<9 { outcomes.append(pump.server.sendData(stream: 1, payload: message, now: pump.now)) }
        #expect(outcomes == [.sent, .sent, .sent, .sent, .queued, .queued, .queued, .queued, .queueFull])
        #expect(pump.server.queuedBytes == 4 * 65_536)
        #expect(pump.server.streams[1]?.sendWindow.available == 0)
        pump.run()
        #expect(pump.takeEvents().client.count == 4)
        #expect(pump.clientSent.count == 40, "the stalled client gave no credit back (only its empty DATA went out)")

        // The application reads two messages: half the window, so WINDOW_UPDATE(131072).
        pump.client.consumed(stream: 1, count: 65_536, now: pump.now)
        #expect(!pump.client.hasOutbound)
        pump.client.consumed(stream: 1, count: 65_536, now: pump.now)
        pump.run()
        var (client, server) = pump.takeEvents()
        #expect(client == [.data(stream: 1, payload: message), .data(stream: 1, payload: message)])
        #expect(server.isEmpty, "the queue is not empty yet")
        #expect(pump.server.queuedBytes == 2 * 65_536)
        #expect(pump.server.sendData(stream: 1, payload: [1], now: pump.now) == .queued, "order is kept behind the queue")

        pump.client.consumed(stream: 1, count: 131_072, now: pump.now)
        pump.run()
        (client, server) = pump.takeEvents()
        #expect(client == [.data(stream: 1, payload: message), .data(stream: 1, payload: message)])
        #expect(server.isEmpty, "one byte is still waiting for window")
        #expect(pump.server.queuedBytes == 1)

        pump.client.consumed(stream: 1, count: 131_072, now: pump.now)
        pump.run()
        (client, server) = pump.takeEvents()
        #expect(client == [.data(stream: 1, payload: [1])])
        #expect(server == [.streamWritable(1)])
        #expect(pump.server.queuedBytes == 0)
        #expect(pump.server.streams[1]?.sendWindow.available == 131_071)
        #expect(pump.server.sendData(stream: 1, payload: message, now: pump.now) == .sent)
    }

    @Test("a closed stream drops its queue from the session's bound")
    func closingDropsQueue() throws {
        var limits = SessionLimits()
        limits.automaticCredit = false
        var pump = try Pump.established(configuration: Self.configuration(window: 10), clientLimits: limits)
        _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
        pump.run()
        #expect(pump.server.sendData(stream: 1, payload: [UInt8](repeating: 1, count: 10), now: pump.now) == .sent)
        #expect(pump.server.sendData(stream: 1, payload: [UInt8](repeating: 2, count: 100), now: pump.now) == .queued)
        #expect(pump.server.queuedBytes == 100)
        #expect(pump.server.closeStream(1, code: .slowConsumer, reason: "slow", now: pump.now) == true)
        #expect(pump.server.queuedBytes == 0)
        pump.run()
        #expect(pump.takeEvents().client.last == .streamClosed(1, .slowConsumer, reason: "slow", byPeer: true))
    }

    @Test("the server closes a stream without DATA for stream_idle_timeout with IDLE_TIMEOUT; DATA either way resets it")
    func streamIdle() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 1, payload: Array("hi".utf8), now: pump.now)
        pump.run()
        _ = pump.takeEvents()
        #expect(pump.server.nextDeadline == Self.t0 + 30)

        // Server-side DATA at +20 counts as activity.
        pump.now = Self.t0 + 20
        _ = pump.server.sendData(stream: 1, payload: Array("yo".utf8), now: pump.now)
        pump.run()
        #expect(pump.server.nextDeadline == Self.t0 + 45, "the session idle limit comes first now")
        #expect(pump.server.tick(now: Self.t0 + 30).isEmpty)
        // A PING at +40 keeps the session, not the stream.
        pump.now = Self.t0 + 40
        pump.client.ping([0, 0, 0, 0, 0, 0, 0, 1], now: pump.now)
        pump.run()
        _ = pump.takeEvents()
        #expect(pump.server.nextDeadline == Self.t0 + 50)
        #expect(pump.server.tick(now: Self.t0 + 49.9).isEmpty)
        pump.now = Self.t0 + 50
        let events = pump.server.tick(now: pump.now)
        #expect(events == [.streamClosed(1, .idleTimeout, reason: "idle", byPeer: false)])
        pump.run()
        #expect(pump.takeEvents().client == [.streamClosed(1, .idleTimeout, reason: "idle", byPeer: true)])
        #expect(pump.server.streams.isEmpty && pump.client.streams.isEmpty)
        #expect(pump.server.isEstablished)
    }

    @Test("the server closes a session that received nothing for 3 x heartbeat_interval")
    func sessionIdle() throws {
        var pump = try Pump.established()
        #expect(pump.server.nextDeadline == Self.t0 + 45)
        #expect(pump.server.tick(now: Self.t0 + 44.9).isEmpty)
        pump.now = Self.t0 + 45
        #expect(pump.server.tick(now: pump.now) == [.closed(.local(.idleTimeout))])
        #expect(pump.server.isClosed)
        #expect(pump.server.nextDeadline == nil)
        pump.run()
        #expect(pump.takeEvents().client == [.closed(.peerClosed(.idleTimeout, reason: "idle"))])
        #expect(pump.client.isClosed)
    }

    @Test("a quiet client PINGs after heartbeat_interval; the server answers and the session stays up")
    func clientHeartbeat() throws {
        var pump = try Pump.established()
        #expect(pump.client.nextDeadline == Self.t0 + 15)
        #expect(pump.client.tick(now: Self.t0 + 14.9).isEmpty && !pump.client.hasOutbound)
        for beat in 1...6 {
            pump.tick(to: Self.t0 + Double(beat) * 15)
            let (client, server) = pump.takeEvents()
            #expect(client.count == 1, "beat \(beat)")
            if case .pong(let opaque) = client.first { #expect(opaque.count == 8) } else { Issue.record("no PONG: \(client)") }
            #expect(server.isEmpty)
            #expect(pump.client.nextDeadline == Self.t0 + Double(beat + 1) * 15)
        }
        #expect(pump.server.isEstablished && pump.client.isEstablished)
    }

    @Test("a client listening on a stream sends an empty DATA on it every heartbeat_interval, which keeps it open")
    func listeningStream() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
        pump.run()
        _ = pump.takeEvents()
        let before = pump.server.statistics.framesIn
        for beat in 1...8 {
            pump.tick(to: Self.t0 + Double(beat) * 15)
            let (client, server) = pump.takeEvents()
            // The keep-alive gets no reply, so the client, having heard nothing for a heartbeat,
            // also PINGs (section 5): only the PONG shows the server is still there.
            #expect(server.isEmpty, "beat \(beat): no message: \(server)")
            #expect(client.count == 1 && client.allSatisfy { if case .pong = $0 { true } else { false } }, "beat \(beat): \(client)")
        }
        #expect(pump.server.statistics.framesIn == before + 16)
        #expect(pump.server.streams[1]?.framesIn == 9)
        #expect(pump.server.streams[1]?.bytesIn == 0)
        #expect(pump.serverSent.count == 8 * (24 + 8 + 16), "eight PONGs and nothing else: empty DATA gets no reply")
        #expect(pump.server.isEstablished && pump.server.streams[1] != nil)
    }

    @Test("a stream whose messages wait for window still gets its keep-alive, and tick leaves no deadline in the past")
    func keepAliveBehindQueue() throws {
        var pump = try Pump.established(configuration: Self.configuration(window: 10))
        #expect(pump.client.sendData(stream: 1, payload: [UInt8](repeating: 1, count: 10), now: pump.now) == .sent)
        #expect(pump.client.sendData(stream: 1, payload: [2, 2], now: pump.now) == .queued)
        // The server's bytes (and so its credit) do not arrive for a while.
        let held = pump.client.takeOutbound()
        let now = Self.t0 + 15
        _ = pump.client.tick(now: now)
        let deadline = try #require(pump.client.nextDeadline)
        #expect(deadline > now, "a deadline at or before now makes the caller tick in a loop")
        // The keep-alive is an empty DATA on stream 1, ahead of the queued message (it is not one);
        // a PING follows, as nothing was heard from the server for a heartbeat.
        let sent = pump.client.takeOutbound()
        let frames = try pump.server.peek(held + sent)
        #expect(frames.dropFirst().first == .data(stream: 1, payload: []))
        #expect(frames.count == 3 && frames.last?.type == .ping)
        _ = pump.server.receive(held + sent, now: now)
        #expect(pump.server.streams[1]?.lastActivity == now)
        pump.now = now
        pump.run()
        #expect(pump.takeEvents().server == [.data(stream: 1, payload: [2, 2])], "the queued message follows the credit")
    }

    @Test("after any tick, nextDeadline lies in the future", arguments: [false, true])
    func deadlinesMoveForward(listening: Bool) throws {
        var pump = try Pump.established()
        if listening {
            _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
            pump.run()
        }
        var time = Self.t0
        for _ in 0..<20 {
            let client = try #require(pump.client.nextDeadline)
            let server = try #require(pump.server.nextDeadline)
            time = min(client, server)
            #expect(time > pump.now)
            pump.tick(to: time)
        }
        #expect(pump.client.isEstablished && pump.server.isEstablished)
        #expect(time >= Self.t0 + 60)
    }

    @Test("KEY_UPDATE after keyUpdateFrames: both sides update and keep talking across it", arguments: [false, true])
    func keyUpdateByFrames(dripFeed: Bool) throws {
        var limits = SessionLimits()
        limits.keyUpdateFrames = 5
        var pump = try Pump.established(configuration: Self.configuration(keyUpdateFrames: 3), clientLimits: limits,
                                        dripFeed: dripFeed)
        var received: [ConnectionEvent] = []
        var echoed: [ConnectionEvent] = []
        for index in 0..<30 {
            let payload = Array("line \(index)".utf8)
            #expect(pump.client.sendData(stream: 2, payload: payload, now: pump.now) == .sent)
            pump.run()
            let (_, server) = pump.takeEvents()
            received += server.filter { if case .data = $0 { return true } else { return false } }
            #expect(pump.server.sendData(stream: 2, payload: payload, now: pump.now) == .sent)
            pump.run()
            echoed += pump.takeEvents().client
        }
        let lines = (0..<30).map { ConnectionEvent.data(stream: 2, payload: Array("line \($0)".utf8)) }
        #expect(received == lines)
        #expect(echoed == lines)
        // Client: seq 1 after INIT; a KEY_UPDATE when seq reaches 5, then every 5 frames.
        #expect(pump.client.sendKeyEpoch >= 5)
        #expect(pump.server.sendKeyEpoch >= 9)
        #expect(pump.server.receiveKeyEpoch == pump.client.sendKeyEpoch)
        #expect(pump.client.receiveKeyEpoch == pump.server.sendKeyEpoch)
        #expect(try #require(pump.client.nextSendSequence) < 5)
        #expect(try #require(pump.server.nextSendSequence) < 3)
    }

    @Test("KEY_UPDATE after keyUpdateSeconds, announced by nextDeadline")
    func keyUpdateBySeconds() throws {
        var limits = SessionLimits()
        limits.keyUpdateSeconds = 10
        var pump = try Pump.established(configuration: Self.configuration(keyUpdateSeconds: 12), clientLimits: limits)
        #expect(pump.client.nextDeadline == Self.t0 + 10)
        #expect(pump.server.nextDeadline == Self.t0 + 12)
        pump.tick(to: Self.t0 + 10)
        #expect(pump.client.sendKeyEpoch == 1 && pump.server.receiveKeyEpoch == 1)
        #expect(pump.server.sendKeyEpoch == 0)
        // The KEY_UPDATE counts as sending, but the server has said nothing since +0: a PING is due at +15.
        #expect(pump.client.nextDeadline == Self.t0 + 15)
        pump.tick(to: Self.t0 + 12)
        #expect(pump.server.sendKeyEpoch == 1 && pump.client.receiveKeyEpoch == 1)
        #expect(pump.server.nextDeadline == Self.t0 + 24)
        _ = pump.client.sendData(stream: 2, payload: Array("after".utf8), now: pump.now)
        pump.run()
        _ = pump.server.sendData(stream: 2, payload: Array("both".utf8), now: pump.now)
        pump.run()
        let (client, server) = pump.takeEvents()
        #expect(server == [.streamOpened(2), .data(stream: 2, payload: Array("after".utf8))])
        #expect(client == [.data(stream: 2, payload: Array("both".utf8))])
    }

    @Test("a handshake that does not finish in time closes silently, on either side")
    func handshakeTimeout() throws {
        // Nothing at all arrives at the server: CLIENT_HELLO has its own, shorter limit.
        var server = Peers.server()
        #expect(server.handshake.awaitsClientHello)
        #expect(server.tick(now: Self.t0 + 1.9).isEmpty)
        #expect(server.tick(now: Self.t0 + 2) == [.closed(.timeout)])
        #expect(!server.hasOutbound && server.isClosed && server.nextDeadline == nil)

        // CLIENT_HELLO arrives, HANDSHAKE_INIT never does: nothing after SERVER_HELLO.
        var client = Peers.client()
        server = Peers.server()
        _ = server.receive(client.takeOutbound(), now: Self.t0 + 1)
        let serverHello = server.takeOutbound()
        #expect(serverHello.count == 152)
        #expect(!server.handshake.awaitsClientHello && server.nextDeadline == Self.t0 + 10)
        #expect(server.tick(now: Self.t0 + 9.9).isEmpty)
        #expect(server.tick(now: Self.t0 + 10) == [.closed(.timeout)])
        #expect(!server.hasOutbound)

        // The client gives up too when SERVER_HELLO never comes, sending nothing more.
        #expect(client.nextDeadline == Self.t0 + 10)
        #expect(client.tick(now: Self.t0 + 10) == [.closed(.timeout)])
        #expect(!client.hasOutbound && client.isClosed)

        // After the handshake the limit no longer applies.
        var pump = try Pump.established()
        #expect(pump.server.tick(now: Self.t0 + 10).isEmpty && pump.server.isEstablished)
    }

    @Test("bytes that complete the handshake after its limit do not establish it, even before tick runs")
    func lateInit() throws {
        var client = Peers.client()
        var server = Peers.server()
        let initFrame = Peers.handshakeInit(&client, &server, now: Self.t0 + 1)
        var onTime = server
        #expect(onTime.receive(initFrame, now: Self.t0 + 9.99).count == 1 && onTime.isEstablished)
        #expect(server.receive(initFrame, now: Self.t0 + 10) == [.closed(.timeout)])
        #expect(!server.hasOutbound && server.session == nil)
    }

    @Test("the HANDSHAKE_INIT must arrive whole in time: a partial one does not stop the clock")
    func partialInitTimesOut() throws {
        var client = Peers.client()
        var server = Peers.server()
        let initFrame = Peers.handshakeInit(&client, &server, now: Self.t0)
        #expect(server.receive(Array(initFrame.prefix(40)), now: Self.t0 + 5).isEmpty)
        #expect(server.tick(now: Self.t0 + 10) == [.closed(.timeout)])
        #expect(!server.hasOutbound)
    }

    @Test("close(code:reason:now:) reaches the peer as .closed(.peerClosed(code, reason))",
          arguments: [(CloseCode.normal, "bye"), (.serverShutdown, "stopping"), (.terminated, "admin"), (.tokenRevoked, "")])
    func closeCodes(code: CloseCode, reason: String) throws {
        var pump = try Pump.established()
        pump.server.close(code: code, reason: reason, now: pump.now)
        #expect(pump.server.isClosed)
        pump.run()
        #expect(pump.takeEvents().client == [.closed(.peerClosed(code, reason: reason))])
        #expect(pump.client.isClosed)
        #expect(pump.clientSent.isEmpty, "the receiver closes without answering")

        var other = try Pump.established()
        other.client.close(code: code, reason: reason, now: other.now)
        other.run()
        #expect(other.takeEvents().server == [.closed(.peerClosed(code, reason: reason))])
        #expect(other.server.isClosed)
        #expect(other.client.sendData(stream: 1, payload: [1], now: other.now) == .streamNotOpen)
    }

    @Test("a stream CLOSE from either side reaches the other with its code and reason")
    func streamCloseCodes() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
        _ = pump.client.sendData(stream: 2, payload: [], now: pump.now)
        pump.run()
        _ = pump.takeEvents()
        #expect(pump.server.closeStream(1, code: .slowConsumer, reason: "slow", now: pump.now) == true)
        #expect(pump.client.closeStream(2, code: .normal, reason: "done", now: pump.now) == true)
        pump.run()
        let (client, server) = pump.takeEvents()
        #expect(client == [.streamClosed(1, .slowConsumer, reason: "slow", byPeer: true)])
        #expect(server == [.streamClosed(2, .normal, reason: "done", byPeer: true)])
        #expect(pump.client.streams.isEmpty && pump.server.streams.isEmpty)
    }

    @Test("nextDeadline: handshake limit, then session idle, stream idle, heartbeat and key age")
    func deadlines() throws {
        var pump = Pump(client: Peers.client(), server: Peers.server())
        #expect(pump.server.nextDeadline == Self.t0 + 2, "CLIENT_HELLO within 2 s")
        _ = pump.server.receive(pump.client.takeOutbound(), now: Self.t0)
        #expect(pump.server.nextDeadline == Self.t0 + 10, "the whole handshake within 10 s")
        _ = pump.client.receive(pump.server.takeOutbound(), now: Self.t0)
        pump.run()
        #expect(pump.server.nextDeadline == Self.t0 + 45)
        #expect(pump.client.nextDeadline == Self.t0 + 15)
        pump.now = Self.t0 + 5
        _ = pump.client.sendData(stream: 2, payload: [1], now: pump.now)
        pump.run()
        #expect(pump.server.nextDeadline == Self.t0 + 35, "stream idle from its DATA at +5")
        #expect(pump.client.nextDeadline == Self.t0 + 15, "a PING when nothing was heard for a heartbeat")
        _ = pump.server.sendData(stream: 2, payload: [2], now: pump.now)
        pump.run()
        #expect(pump.client.nextDeadline == Self.t0 + 20, "heartbeat from the last send and the last frame heard")
        pump.client.close(code: .normal, reason: "", now: pump.now)
        #expect(pump.client.nextDeadline == nil)
    }
}
