import Testing
@testable import ZTPCore

/// Streams (section 4), flow control (4.1) and session frames (5), driven through connections;
/// rule-breaking frames are sealed with `forge`, as a misbehaving peer would send them.
@Suite("Stream and flow-control rules (sections 4, 4.1, 5)")
struct StreamRuleTests {
    static func configuration(maxStreams: Int = 100, window: Int = 262_144) -> ServerHandshake.Configuration {
        var configuration = ServerHandshake.Configuration()
        configuration.parameters = SessionParameters(maxStreams: maxStreams, streamWindow: window)
        return configuration
    }

    static func manualCredit() -> SessionLimits {
        var limits = SessionLimits()
        limits.automaticCredit = false
        return limits
    }

    /// A PING round trip still works: the session went on.
    static func expectAlive(_ pump: inout Pump, sourceLocation: SourceLocation = #_sourceLocation) {
        pump.client.ping([7, 7, 7, 7, 7, 7, 7, 7], now: pump.now)
        pump.run()
        #expect(pump.takeEvents().client == [.pong([7, 7, 7, 7, 7, 7, 7, 7])], sourceLocation: sourceLocation)
        #expect(pump.client.isEstablished && pump.server.isEstablished, sourceLocation: sourceLocation)
    }

    // MARK: Opening streams

    @Test("a client DATA opens a stream; an empty one opens it without a message or a reply")
    func opening() throws {
        var pump = try Pump.established()
        #expect(pump.client.sendData(stream: 2, payload: [], now: pump.now) == .sent)
        pump.run()
        let (client, server) = pump.takeEvents()
        #expect(server == [.streamOpened(2)])
        #expect(client.isEmpty && pump.serverSent.isEmpty)
        #expect(pump.server.streams[2] != nil && pump.client.streams[2] != nil)
        #expect(pump.client.sendData(stream: 2, payload: [1], now: pump.now) == .sent)
        pump.run()
        #expect(pump.takeEvents().server == [.data(stream: 2, payload: [1])])
    }

    @Test("no handler for the id: CLOSE(stream, UNKNOWN_STREAM); the stream is not opened and the session goes on")
    func unknownStream() throws {
        var pump = try Pump.established()
        #expect(pump.client.sendData(stream: 7, payload: Array("hi".utf8), now: pump.now) == .sent)
        pump.run()
        let (client, server) = pump.takeEvents()
        #expect(server == [.streamRejected(7, .unknownStream)])
        #expect(client == [.streamClosed(7, .unknownStream, reason: "unknown_stream", byPeer: true)])
        #expect(pump.server.streams.isEmpty && pump.client.streams.isEmpty)
        Self.expectAlive(&pump)
    }

    @Test("a role that may not use the stream: CLOSE(stream, FORBIDDEN); the session goes on")
    func forbidden() throws {
        var pump = try Pump.established(role: "observer")
        _ = pump.client.sendData(stream: 1, payload: Array("hi all".utf8), now: pump.now)
        _ = pump.client.sendData(stream: 2, payload: Array("whoami".utf8), now: pump.now)
        pump.run()
        let (client, server) = pump.takeEvents()
        #expect(server == [.streamRejected(1, .forbidden), .streamOpened(2), .data(stream: 2, payload: Array("whoami".utf8))])
        #expect(client == [.streamClosed(1, .forbidden, reason: "forbidden", byPeer: true)])
        Self.expectAlive(&pump)
    }

    @Test("max_streams reached: CLOSE(stream, TOO_MANY_STREAMS); the session and the open streams go on")
    func tooManyStreams() throws {
        var pump = try Pump.established(configuration: Self.configuration(maxStreams: 1))
        #expect(pump.client.session?.parameters.maxStreams == 1)
        _ = pump.client.sendData(stream: 1, payload: [1], now: pump.now)
        _ = pump.client.sendData(stream: 2, payload: [2], now: pump.now)
        pump.run()
        var (client, server) = pump.takeEvents()
        #expect(server == [.streamOpened(1), .data(stream: 1, payload: [1]), .streamRejected(2, .tooManyStreams)])
        #expect(client == [.streamClosed(2, .tooManyStreams, reason: "too_many_streams", byPeer: true)])
        #expect(pump.server.sendData(stream: 1, payload: [3], now: pump.now) == .sent)
        pump.run()
        #expect(pump.takeEvents().client == [.data(stream: 1, payload: [3])])

        // Once stream 1 is closed, stream 2 can open.
        #expect(pump.client.closeStream(1, code: .normal, reason: "done", now: pump.now) == true)
        _ = pump.client.sendData(stream: 2, payload: [4], now: pump.now)
        pump.run()
        (client, server) = pump.takeEvents()
        #expect(server == [.streamClosed(1, .normal, reason: "done", byPeer: true), .streamOpened(2), .data(stream: 2, payload: [4])])
        #expect(client.isEmpty)
    }

    @Test("admission order: UNKNOWN_STREAM, then FORBIDDEN, then TOO_MANY_STREAMS")
    func admissionOrder() throws {
        var pump = try Pump.established(configuration: Self.configuration(maxStreams: 1), role: "observer")
        _ = pump.client.sendData(stream: 2, payload: [], now: pump.now)
        _ = pump.client.sendData(stream: 9, payload: [], now: pump.now)
        _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
        pump.run()
        #expect(pump.takeEvents().server == [.streamOpened(2), .streamRejected(9, .unknownStream), .streamRejected(1, .forbidden)])
    }

    @Test("a server cannot open streams; nobody sends on stream 0, past 2^31-1, or more than max_frame")
    func sendOutcomes() throws {
        var pump = try Pump.established()
        #expect(pump.server.sendData(stream: 1, payload: [1], now: pump.now) == .streamNotOpen)
        #expect(pump.client.sendData(stream: 0, payload: [1], now: pump.now) == .streamNotOpen)
        #expect(pump.client.sendData(stream: 0x8000_0000, payload: [1], now: pump.now) == .streamNotOpen)
        #expect(pump.client.sendData(stream: 1, payload: [UInt8](repeating: 0, count: 65_537), now: pump.now) == .tooLarge)
        #expect(!pump.client.hasOutbound && !pump.server.hasOutbound)
        #expect(pump.client.sendData(stream: 0x7FFF_FFFF, payload: [UInt8](repeating: 0, count: 65_536), now: pump.now) == .sent)
        #expect(pump.server.closeStream(5, code: .normal, reason: "", now: pump.now) == false)
        #expect(!pump.server.hasOutbound)
    }

    @Test("after a CLOSE a side sends no more DATA on the stream; a later client DATA opens it afresh")
    func closeAndReopen() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 1, payload: [UInt8](repeating: 1, count: 1000), now: pump.now)
        pump.run()
        #expect(pump.server.streams[1]?.receiveWindow.available == 262_144 - 1000)
        #expect(pump.server.closeStream(1, code: .normal, reason: "bye", now: pump.now) == true)
        #expect(pump.server.sendData(stream: 1, payload: [1], now: pump.now) == .streamNotOpen)
        pump.run()
        _ = pump.takeEvents()
        #expect(pump.client.streams[1] == nil)
        _ = pump.client.sendData(stream: 1, payload: [2], now: pump.now)
        pump.run()
        #expect(pump.takeEvents().server == [.streamOpened(1), .data(stream: 1, payload: [2])])
        #expect(pump.server.streams[1]?.receiveWindow.available == 262_144 - 1, "a new stream has a fresh window")
    }

    @Test("DATA reaching the client on a stream it has closed is discarded")
    func dataAfterClientClose() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 1, payload: [1], now: pump.now)
        pump.run()
        _ = pump.takeEvents()
        #expect(pump.client.closeStream(1, code: .normal, reason: "leaving", now: pump.now) == true)
        let clientClose = pump.client.takeOutbound()
        // The server's DATA crosses the client's CLOSE.
        #expect(pump.server.sendData(stream: 1, payload: Array("late".utf8), now: pump.now) == .sent)
        #expect(pump.client.receive(pump.server.takeOutbound(), now: pump.now).isEmpty)
        #expect(pump.server.receive(clientClose, now: pump.now) == [.streamClosed(1, .normal, reason: "leaving", byPeer: true)])
        Self.expectAlive(&pump)
    }

    @Test("WINDOW_UPDATE or CLOSE for a stream that is not open is ignored")
    func notOpenIgnored() throws {
        var pump = try Pump.established()
        for frame in [Frame.windowUpdate(stream: 3, increment: 100), .close(stream: 3, code: .normal, reason: []),
                      .windowUpdate(stream: 0x7FFF_FFFF, increment: 0x7FFF_FFFF)] {
            #expect(pump.server.receive(pump.client.forge(frame), now: pump.now).isEmpty)
            #expect(pump.client.receive(pump.server.forge(frame), now: pump.now).isEmpty)
        }
        #expect(!pump.client.hasOutbound && !pump.server.hasOutbound)
        Self.expectAlive(&pump)
    }

    // MARK: Flow control

    @Test("a receiver that sees more DATA than it granted closes with FLOW_CONTROL_ERROR, and says so")
    func windowExceededAtServer() throws {
        var pump = try Pump.established(configuration: Self.configuration(window: 1000))
        // 400 bytes: below half the window, so no credit comes back; then 601 > 600 left.
        #expect(pump.server.receive(pump.client.forge(.data(stream: 1, payload: [UInt8](repeating: 0, count: 400))), now: pump.now)
                == [.streamOpened(1), .data(stream: 1, payload: [UInt8](repeating: 0, count: 400))])
        #expect(!pump.server.hasOutbound)
        let events = pump.server.receive(pump.client.forge(.data(stream: 1, payload: [UInt8](repeating: 0, count: 601))), now: pump.now)
        #expect(protocolError(in: events)?.kind == .flowControl)
        #expect(protocolError(in: events)?.code == .flowControlError)
        #expect(pump.server.isClosed)
        #expect(peerClose(in: pump.client.receive(pump.server.takeOutbound(), now: pump.now)) == .flowControlError)
    }

    @Test("DATA of exactly the remaining window is fine")
    func windowExactly() throws {
        var pump = try Pump.established(configuration: Self.configuration(window: 1000))
        #expect(pump.client.sendData(stream: 1, payload: [UInt8](repeating: 0, count: 400), now: pump.now) == .sent)
        _ = pump.server.receive(pump.client.takeOutbound(), now: pump.now)
        #expect(!pump.server.hasOutbound, "400 < half the window: no credit yet")
        #expect(pump.client.sendData(stream: 1, payload: [UInt8](repeating: 0, count: 600), now: pump.now) == .sent)
        #expect(pump.client.streams[1]?.sendWindow.available == 0)
        let events = pump.server.receive(pump.client.takeOutbound(), now: pump.now)
        #expect(events == [.data(stream: 1, payload: [UInt8](repeating: 0, count: 600))])
        #expect(pump.server.isEstablished)
        // The credit is due now (1000 consumed >= half): WINDOW_UPDATE(1, 1000).
        let credit = pump.server.takeOutbound()
        #expect(try pump.client.peek(credit) == [.windowUpdate(stream: 1, increment: 1000)])
        #expect(pump.client.receive(credit, now: pump.now).isEmpty)
        #expect(pump.client.streams[1]?.sendWindow.available == 1000)
    }

    @Test("the client, too, closes with FLOW_CONTROL_ERROR when the server overruns its window")
    func windowExceededAtClient() throws {
        var pump = try Pump.established(configuration: Self.configuration(window: 1000), clientLimits: Self.manualCredit())
        _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
        pump.run()
        #expect(pump.client.receive(pump.server.forge(.data(stream: 1, payload: [UInt8](repeating: 1, count: 1000))), now: pump.now).count == 1)
        let events = pump.client.receive(pump.server.forge(.data(stream: 1, payload: [0])), now: pump.now)
        #expect(protocolError(in: events)?.code == .flowControlError)
        #expect(peerClose(in: pump.server.receive(pump.client.takeOutbound(), now: pump.now)) == .flowControlError)
    }

    @Test("WINDOW_UPDATE of 0 is PROTOCOL_ERROR on an open stream, a closed one, and one never opened")
    func zeroIncrement() throws {
        for stream in [UInt32(1), 2, 9] {
            var pump = try Pump.established()
            _ = pump.client.sendData(stream: 1, payload: [1], now: pump.now)
            _ = pump.client.sendData(stream: 2, payload: [1], now: pump.now)
            pump.run()
            #expect(pump.client.closeStream(2, code: .normal, reason: "", now: pump.now) == true)
            pump.run()
            _ = pump.takeEvents()
            let events = pump.server.receive(pump.client.forge(.windowUpdate(stream: stream, increment: 0)), now: pump.now)
            #expect(protocolError(in: events)?.kind == .zeroIncrement, "stream \(stream)")
            #expect(protocolError(in: events)?.code == .protocolError)
            #expect(peerClose(in: pump.client.receive(pump.server.takeOutbound(), now: pump.now)) == .protocolError)
        }
        // From the server as well.
        var pump = try Pump.established()
        let events = pump.client.receive(pump.server.forge(.windowUpdate(stream: 4, increment: 0)), now: pump.now)
        #expect(protocolError(in: events)?.kind == .zeroIncrement)
        #expect(peerClose(in: pump.server.receive(pump.client.takeOutbound(), now: pump.now)) == .protocolError)
    }

    @Test("an increment that takes a window above 2^31-1 is FLOW_CONTROL_ERROR; exactly 2^31-1 is fine")
    func windowOverflow() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
        pump.run()
        let room = UInt32(FlowControlWindow.maximum - 262_144)
        #expect(pump.server.receive(pump.client.forge(.windowUpdate(stream: 1, increment: room)), now: pump.now).isEmpty)
        #expect(pump.server.streams[1]?.sendWindow.available == FlowControlWindow.maximum)
        let events = pump.server.receive(pump.client.forge(.windowUpdate(stream: 1, increment: 1)), now: pump.now)
        #expect(protocolError(in: events)?.code == .flowControlError)
        #expect(peerClose(in: pump.client.receive(pump.server.takeOutbound(), now: pump.now)) == .flowControlError)

        var other = try Pump.established()
        _ = other.client.sendData(stream: 1, payload: [], now: other.now)
        other.run()
        let direct = other.server.receive(other.client.forge(.windowUpdate(stream: 1, increment: 0x7FFF_FFFF)), now: other.now)
        #expect(protocolError(in: direct)?.code == .flowControlError)
    }

    @Test("an increment above 2^31-1 is refused even for a stream that is not open")
    func incrementOutOfRange() throws {
        var pump = try Pump.established()
        let events = pump.server.receive(pump.client.forge(.windowUpdate(stream: 5, increment: 0x8000_0000)), now: pump.now)
        #expect(protocolError(in: events)?.code == .flowControlError)
        #expect(peerClose(in: pump.client.receive(pump.server.takeOutbound(), now: pump.now)) == .flowControlError)
    }

    @Test("FlowControlWindow: consume and grant are checked; the inbound credit comes back at half the target")
    func windowValue() throws {
        var window = FlowControlWindow(initial: 10)
        try window.consume(10)
        #expect(window.available == 0)
        #expect(throws: ZTPError.self) { try window.consume(1) }
        try window.grant(FlowControlWindow.maximum)
        #expect(throws: ZTPError.self) { try window.grant(1) }
        #expect(window.available == FlowControlWindow.maximum)

        var credit = InboundCredit(target: 100)
        #expect(credit.consume(49) == nil)
        #expect(credit.consume(1) == 50)
        #expect(credit.consume(10) == nil)
        #expect(credit.consume(60) == 70)
    }

    // MARK: Session frames

    @Test("PING is answered with a PONG of the same bytes, both ways; an unsolicited PONG is ignored")
    func pingPong() throws {
        var pump = try Pump.established()
        pump.server.ping([1, 2, 3, 4, 5, 6, 7, 8], now: pump.now)
        pump.run()
        #expect(pump.takeEvents().server == [.pong([1, 2, 3, 4, 5, 6, 7, 8])])
        #expect(pump.client.receive(pump.server.forge(.pong(opaque: [9, 9, 9, 9, 9, 9, 9, 9])), now: pump.now).isEmpty)
        #expect(pump.server.receive(pump.client.forge(.pong(opaque: [1, 2, 3, 4, 5, 6, 7, 8])), now: pump.now).isEmpty,
                "a PING is answered once")
        #expect(!pump.client.hasOutbound && !pump.server.hasOutbound)
        Self.expectAlive(&pump)
    }

    @Test("CLOSE on stream 0 ends the session; a reason that is not UTF-8 is tolerated; unknown codes are kept")
    func closeFrames() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 1, payload: [], now: pump.now)
        pump.run()
        let odd = pump.client.receive(pump.server.forge(.close(stream: 1, code: CloseCode(rawValue: 999), reason: [0xFF, 0x41])),
                                      now: pump.now)
        #expect(odd == [.streamClosed(1, CloseCode(rawValue: 999), reason: "\u{FFFD}A", byPeer: true)])
        #expect(CloseCode(rawValue: 999).name == "CODE_999")
        let end = pump.client.receive(pump.server.forge(.close(stream: 0, code: .terminated, reason: [0xC3])), now: pump.now)
        #expect(end == [.closed(.peerClosed(.terminated, reason: "\u{FFFD}"))])
        #expect(pump.client.isClosed && !pump.client.hasOutbound)
    }

    @Test("a CLOSE reason is cut to 256 bytes on a character boundary")
    func reasonLength() throws {
        #expect(Frame.closeReason(String(repeating: "a", count: 300)).count == 256)
        #expect(Frame.closeReason(String(repeating: "é", count: 200)).count == 256)
        #expect(Frame.closeReason("a" + String(repeating: "é", count: 200)).count == 255)
        var pump = try Pump.established()
        pump.server.close(code: .serverShutdown, reason: String(repeating: "x", count: 1000), now: pump.now)
        let bytes = pump.server.takeOutbound()
        #expect(bytes.count == 24 + 258 + 16)
        #expect(pump.client.receive(bytes, now: pump.now) == [.closed(.peerClosed(.serverShutdown, reason: String(repeating: "x", count: 256)))])
    }
}
