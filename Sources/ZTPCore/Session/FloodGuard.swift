/// A budget for one kind of frame that does no work for the application: at most `count` at
/// once, earned back at `count / seconds` per second (a token bucket).
public struct FloodBudget: Sendable, Equatable, CustomStringConvertible {
    public var count: Int
    public var seconds: Double

    public init(count: Int, seconds: Double) {
        self.count = count
        self.seconds = seconds
    }

    /// No limit (a test, or an operator who chose so).
    public static let unlimited = FloodBudget(count: 0, seconds: 0)

    public var isUnlimited: Bool { count <= 0 || seconds <= 0 }

    /// `COUNT/SECONDS`, as the server's flags take it.
    public var description: String {
        isUnlimited ? "0" : "\(count)/\(seconds.formatted)"
    }

    /// Reads `COUNT/SECONDS` (e.g. `100/10`), or `0` for no limit.
    public init?(_ text: String) {
        if text == "0" {
            self = .unlimited
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0]), let seconds = Double(parts[1]),
              count >= 1, seconds > 0, seconds.isFinite else { return nil }
        self.init(count: count, seconds: seconds)
    }
}

/// The control-frame budgets of a session. Each is far above what a well-behaved peer sends
/// (one PING per heartbeat, one empty DATA per listening stream per heartbeat, a KEY_UPDATE
/// an hour) and far below what a flood sends in a second.
public struct FloodBudgets: Sendable, Equatable {
    public var pings = FloodBudget(count: 100, seconds: 10)
    /// Empty DATA frames (stream opens and keep-alives).
    public var emptyData = FloodBudget(count: 1_000, seconds: 10)
    /// WINDOW_UPDATE frames beyond one per DATA frame this side sent: credit that answers our
    /// own DATA is never held against the peer.
    public var windowUpdates = FloodBudget(count: 1_000, seconds: 10)
    /// Streams the peer opens (admitted or refused) plus streams it closes.
    public var streamChurn = FloodBudget(count: 500, seconds: 10)
    public var keyUpdates = FloodBudget(count: 10, seconds: 60)

    public init() {}

    public static let unlimited: FloodBudgets = {
        var budgets = FloodBudgets()
        budgets.pings = .unlimited
        budgets.emptyData = .unlimited
        budgets.windowUpdates = .unlimited
        budgets.streamChurn = .unlimited
        budgets.keyUpdates = .unlimited
        return budgets
    }()
}

/// Holds a peer to its `FloodBudgets`, in the manner of swift-nio-http2's `DOSHeuristics`:
/// frames that are valid one by one but cost this side work without moving any data are
/// counted, and past a budget the session ends with PROTOCOL_ERROR and a reason naming it.
///
/// O(1) per frame and allocation-free: one bucket per kind, refilled lazily from `now`.
struct FloodGuard: Sendable {
    enum Kind: Sendable {
        case ping, emptyData, windowUpdate, streamChurn, keyUpdate
    }

    private struct Bucket: Sendable {
        var tokens: Double
        var updatedAt: Double
        let capacity: Double
        let perSecond: Double

        init(_ budget: FloodBudget, now: Double) {
            capacity = budget.isUnlimited ? .infinity : Double(budget.count)
            perSecond = budget.isUnlimited ? 0 : Double(budget.count) / budget.seconds
            tokens = capacity
            updatedAt = now
        }

        mutating func take(now: Double) -> Bool {
            guard capacity.isFinite else { return true }
            if now > updatedAt {
                tokens = min(capacity, tokens + (now - updatedAt) * perSecond)
                updatedAt = now
            }
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }

        mutating func give() {
            if capacity.isFinite, tokens < capacity { tokens += 1 }
        }
    }

    private var pings: Bucket
    private var emptyData: Bucket
    private var windowUpdates: Bucket
    private var streamChurn: Bucket
    private var keyUpdates: Bucket

    init(_ budgets: FloodBudgets, now: Double) {
        pings = Bucket(budgets.pings, now: now)
        emptyData = Bucket(budgets.emptyData, now: now)
        windowUpdates = Bucket(budgets.windowUpdates, now: now)
        streamChurn = Bucket(budgets.streamChurn, now: now)
        keyUpdates = Bucket(budgets.keyUpdates, now: now)
    }

    /// Counts one frame of `kind` from the peer; throws once its budget is spent.
    mutating func record(_ kind: Kind, now: Double) throws(ZTPError) {
        switch kind {
        case .ping:
            guard pings.take(now: now) else { throw .protocolError(.pingFlood, "too many PINGs") }
        case .emptyData:
            guard emptyData.take(now: now) else { throw .protocolError(.emptyDataFlood, "too many empty DATA frames") }
        case .windowUpdate:
            guard windowUpdates.take(now: now) else { throw .protocolError(.windowUpdateFlood, "too many WINDOW_UPDATEs") }
        case .streamChurn:
            guard streamChurn.take(now: now) else { throw .protocolError(.streamChurn, "too many stream opens and closes") }
        case .keyUpdate:
            guard keyUpdates.take(now: now) else { throw .protocolError(.keyUpdateFlood, "too many KEY_UPDATEs") }
        }
    }

    /// This side sent a DATA frame: the peer may answer it with one WINDOW_UPDATE.
    mutating func dataSent() {
        windowUpdates.give()
    }
}

extension Double {
    /// `10` rather than `10.0` for whole numbers.
    fileprivate var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
