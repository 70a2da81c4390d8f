import Testing
@testable import ZTPCore

/// Control-frame budgets (`FloodGuard`): frames that are valid one by one but move no data are
/// held to a budget; past it the session ends with CLOSE(PROTOCOL_ERROR) naming the budget.
@Suite("Flood budgets")
struct FloodGuardTests {
    static let t0 = Peers.start

    /// A pumped pair whose server holds the client to `budgets`.
    static func pump(_ budgets: FloodBudgets) throws -> Pump {
        var configuration = ServerHandshake.Configuration()
        configuration.limits.floods = budgets
        return try Pump.established(configuration: configuration)
    }

    /// Delivers `frames` (forged by the client, so no client-side rule holds them back) to the
    /// server at `now`; returns the server's events and the frames it sent back.
    static func deliver(_ frames: [Frame], _ pump: inout Pump, at now: Double) throws -> (events: [ConnectionEvent], sent: [Frame]) {
        var bytes: [UInt8] = []
        for frame in frames { bytes += pump.client.forge(frame) }
        let events = pump.server.receive(bytes, now: now)
        let out = pump.server.takeOutbound()
        let sent = try pump.client.peek(out)
        _ = pump.client.receive(out, now: now)
        _ = pump.client.takeOutbound()
        return (events, sent)
    }

    static func closedNaming(_ kind: ZTPError.Kind, _ result: (events: [ConnectionEvent], sent: [Frame])) -> Bool {
        protocolError(in: result.events)?.kind == kind
            && result.sent.last == .close(stream: 0, code: .protocolError, reason: Array(kind.rawValue.utf8))
    }

    static let ping = Frame.ping(opaque: [1, 2, 3, 4, 5, 6, 7, 8])

    @Test("PINGs within the budget are answered; one past it closes the session with ping_flood")
    func pingFlood() throws {
        var budgets = FloodBudgets()
        budgets.pings = FloodBudget(count: 5, seconds: 10)
        var pump = try Self.pump(budgets)
        let within = try Self.deliver(Array(repeating: Self.ping, count: 5), &pump, at: Self.t0)
        #expect(within.events.isEmpty && within.sent.count == 5 && pump.server.isEstablished)
        let past = try Self.deliver([Self.ping], &pump, at: Self.t0)
        #expect(Self.closedNaming(.pingFlood, past), "\(past)")
        #expect(pump.server.isClosed)
    }

    @Test("the budget is earned back with time: a steady rate below it never closes")
    func refills() throws {
        var budgets = FloodBudgets()
        budgets.pings = FloodBudget(count: 5, seconds: 10)
        var pump = try Self.pump(budgets)
        // Two PINGs a second (the budget's 0.5 per second, and a burst of 5 on top) would
        // fail; one every two seconds, for a minute, never does.
        for step in 0..<30 {
            let result = try Self.deliver([Self.ping], &pump, at: Self.t0 + Double(step) * 2)
            #expect(result.events.isEmpty, "step \(step)")
        }
        #expect(pump.server.isEstablished)
    }

    @Test("empty DATA past its budget closes with empty_data_flood; non-empty DATA is not counted")
    func emptyDataFlood() throws {
        var budgets = FloodBudgets()
        budgets.emptyData = FloodBudget(count: 10, seconds: 10)
        var pump = try Self.pump(budgets)
        let data = Array(repeating: Frame.data(stream: 2, payload: Array("echo x".utf8)), count: 50)
        #expect(try Self.deliver(data, &pump, at: Self.t0).events.allSatisfy { if case .closed = $0 { false } else { true } })
        let keepAlives = Array(repeating: Frame.data(stream: 2, payload: []), count: 10)
        #expect(try Self.deliver(keepAlives, &pump, at: Self.t0).events.isEmpty)
        let past = try Self.deliver([.data(stream: 2, payload: [])], &pump, at: Self.t0)
        #expect(Self.closedNaming(.emptyDataFlood, past), "\(past)")
    }

    @Test("WINDOW_UPDATE past its budget closes with window_update_flood, also for streams that are not open")
    func windowUpdateFlood() throws {
        var budgets = FloodBudgets()
        budgets.windowUpdates = FloodBudget(count: 20, seconds: 10)
        var pump = try Self.pump(budgets)
        let updates = Array(repeating: Frame.windowUpdate(stream: 7, increment: 1), count: 20)
        #expect(try Self.deliver(updates, &pump, at: Self.t0).events.isEmpty)
        let past = try Self.deliver([.windowUpdate(stream: 7, increment: 1)], &pump, at: Self.t0)
        #expect(Self.closedNaming(.windowUpdateFlood, past), "\(past)")
    }

    @Test("credit that answers this side's DATA is never held against the peer")
    func windowUpdatesEarnedByData() throws {
        var budgets = FloodBudgets()
        budgets.windowUpdates = FloodBudget(count: 5, seconds: 3600)
        var pump = try Self.pump(budgets)
        // Forty round trips: the server sends DATA (an echo), the client gives credit back for
        // each; far past the time budget of 5, all earned.
        for index in 0..<40 {
            let result = try Self.deliver([.data(stream: 2, payload: Array("echo \(index)".utf8))], &pump, at: Self.t0)
            #expect(result.events.contains(.data(stream: 2, payload: Array("echo \(index)".utf8))))
            _ = pump.server.sendData(stream: 2, payload: Array("\(index)".utf8), now: Self.t0)
            _ = pump.server.takeOutbound()
            let credit = try Self.deliver([.windowUpdate(stream: 2, increment: 2)], &pump, at: Self.t0)
            #expect(credit.events.isEmpty, "round trip \(index)")
        }
        #expect(pump.server.isEstablished)
    }

    @Test("opening and closing streams past the churn budget closes with stream_churn, refused opens included")
    func streamChurn() throws {
        var budgets = FloodBudgets()
        budgets.streamChurn = FloodBudget(count: 20, seconds: 10)
        budgets.emptyData = .unlimited
        var pump = try Self.pump(budgets)
        var frames: [Frame] = []
        for _ in 0..<5 {
            frames += [.data(stream: 2, payload: []), .close(stream: 2, code: .normal, reason: [])]
        }
        // Unknown stream: refused with UNKNOWN_STREAM, still churn.
        frames += Array(repeating: Frame.data(stream: 99, payload: []), count: 10)
        let within = try Self.deliver(frames, &pump, at: Self.t0)
        #expect(within.events.filter { if case .closed = $0 { true } else { false } }.isEmpty)
        let past = try Self.deliver([.data(stream: 2, payload: [])], &pump, at: Self.t0)
        #expect(Self.closedNaming(.streamChurn, past), "\(past)")
    }

    @Test("KEY_UPDATE past its budget closes with key_update_flood")
    func keyUpdateFlood() throws {
        var budgets = FloodBudgets()
        budgets.keyUpdates = FloodBudget(count: 3, seconds: 60)
        var pump = try Self.pump(budgets)
        for _ in 0..<3 {
            pump.client.updateSendKey(now: Self.t0)
            #expect(pump.server.receive(pump.client.takeOutbound(), now: Self.t0).isEmpty)
        }
        pump.client.updateSendKey(now: Self.t0)
        let events = pump.server.receive(pump.client.takeOutbound(), now: Self.t0)
        #expect(protocolError(in: events)?.kind == .keyUpdateFlood)
        #expect(peerClose(in: pump.client.receive(pump.server.takeOutbound(), now: Self.t0)) == .protocolError)
    }

    @Test("the default budgets pass a well-behaved client: heartbeats and keep-alives on 100 streams for an hour")
    func defaultsPassHeartbeats() throws {
        var pump = try Pump.established()
        // A listener on every stream it may open sends one empty DATA per stream and one PING
        // per heartbeat (15 s).
        for beat in 0..<240 {
            let now = Self.t0 + Double(beat) * 15
            var frames = [Self.ping]
            for stream in 1...100 { frames.append(.data(stream: UInt32(stream), payload: [])) }
            let result = try Self.deliver(frames, &pump, at: now)
            #expect(!result.events.contains { if case .closed = $0 { true } else { false } }, "beat \(beat)")
        }
    }

    @Test("budgets read as COUNT/SECONDS, 0 for none; anything else is refused",
          arguments: [("100/10", FloodBudget(count: 100, seconds: 10)), ("5/0.5", FloodBudget(count: 5, seconds: 0.5)),
                      ("0", FloodBudget.unlimited)])
    func parsing(text: String, budget: FloodBudget) {
        #expect(FloodBudget(text) == budget)
        #expect(FloodBudget(budget.description) == budget)
    }

    @Test("malformed budgets are refused", arguments: ["", "10", "/10", "10/", "0/10", "10/0", "-1/10", "a/b", "10/10/10", "5/inf"])
    func badParsing(text: String) {
        #expect(FloodBudget(text) == nil)
    }
}
