import Synchronization
import ZTPCore

/// The listener's counters as plain numbers this process can read back (swift-metrics only
/// writes to its backend), for `GET /v1/stats`. Lock-free: each update is one relaxed atomic
/// add on the path that already updates the matching metric.
public final class ServerTotals: Sendable {
    /// What the totals were at one instant. Counters only grow; `sessions` and `streams` are
    /// gauges.
    public struct Snapshot: Sendable, Equatable {
        public var sessions = 0
        public var streams = 0
        public var handshakesOK = 0
        /// By reason (see `handshakeFailureReasons`); reasons with no failure are absent.
        public var handshakesFailed: [String: Int] = [:]
        public var bytesIn = 0
        public var bytesOut = 0
        public var framesIn = 0
        public var framesOut = 0
        public var chatMessages = 0

        public init() {}
    }

    /// Every reason a failed handshake is counted under: the `result` values of
    /// `ztp_handshakes_total` but `ok`. A reason outside the set counts as `other`.
    public static let handshakeFailureReasons: [String] = {
        let codes = (0...14).map { CloseCode(rawValue: UInt16($0)).name.lowercased() }.filter { $0 != "normal" }
        return codes + ["capacity", "rate_limited", "client_hello_timeout", "timeout", "aborted", "other"]
    }()

    private final class Cell: Sendable {
        let value = Atomic<Int>(0)
        func add(_ amount: Int) { value.add(amount, ordering: .relaxed) }
        var load: Int { value.load(ordering: .relaxed) }
    }

    private let sessions = Cell()
    private let streams = Cell()
    private let handshakesOK = Cell()
    private let handshakesFailed: [String: Cell]
    private let bytesIn = Cell()
    private let bytesOut = Cell()
    private let framesIn = Cell()
    private let framesOut = Cell()
    private let chatMessages = Cell()

    public init() {
        handshakesFailed = Dictionary(uniqueKeysWithValues: Self.handshakeFailureReasons.map { ($0, Cell()) })
    }

    /// `result` as `ServerMetrics.handshake(_:)` gets it: `ok` or a failure reason.
    func handshake(_ result: String) {
        if result == "ok" { return handshakesOK.add(1) }
        (handshakesFailed[result] ?? handshakesFailed["other"]!).add(1)
    }

    func sessionsChanged(by delta: Int) { sessions.add(delta) }
    func streamsChanged(by delta: Int) { streams.add(delta) }
    func chatMessage() { chatMessages.add(1) }

    func traffic(bytesIn: Int, bytesOut: Int, framesIn: Int, framesOut: Int) {
        if bytesIn > 0 { self.bytesIn.add(bytesIn) }
        if bytesOut > 0 { self.bytesOut.add(bytesOut) }
        if framesIn > 0 { self.framesIn.add(framesIn) }
        if framesOut > 0 { self.framesOut.add(framesOut) }
    }

    /// The totals now. Each number is read on its own, so two counters may differ by the
    /// updates that ran during the read.
    public func snapshot() -> Snapshot {
        var snapshot = Snapshot()
        snapshot.sessions = sessions.load
        snapshot.streams = streams.load
        snapshot.handshakesOK = handshakesOK.load
        for (reason, cell) in handshakesFailed {
            let count = cell.load
            if count > 0 { snapshot.handshakesFailed[reason] = count }
        }
        snapshot.bytesIn = bytesIn.load
        snapshot.bytesOut = bytesOut.load
        snapshot.framesIn = framesIn.load
        snapshot.framesOut = framesOut.load
        snapshot.chatMessages = chatMessages.load
        return snapshot
    }
}
