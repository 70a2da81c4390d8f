import NIOConcurrencyHelpers

/// The revoked token ids, in memory for the handshake's hot path (section 3.5 step 6).
///
/// The store is the durable copy; the management API adds to both, store first. When other
/// servers revoke too (a fleet on one PostgreSQL database), the list is only as good as its last
/// catch-up with the database: `maxStaleness` bounds how long the server goes on accepting
/// handshakes without one (see `isStale`).
public final class RevocationList: Sendable {
    private struct State {
        var ids: Set<String>
        /// Monotonic seconds of the last confirmed catch-up.
        var synchronisedAt: Double
    }

    private let state: NIOLockedValueBox<State>
    /// Seconds without a catch-up after which the list is stale; nil when this process makes
    /// every revocation itself (SQLite), so the list is never behind.
    public let maxStaleness: Double?

    public convenience init(_ initial: Set<String> = [], maxStaleness: Double? = nil) {
        self.init(initial, maxStaleness: maxStaleness, now: monotonicNow())
    }

    init(_ initial: Set<String>, maxStaleness: Double?, now: Double) {
        precondition(maxStaleness.map { $0 > 0 } ?? true)
        state = NIOLockedValueBox(State(ids: initial, synchronisedAt: now))
        self.maxStaleness = maxStaleness
    }

    public func contains(_ id: String) -> Bool {
        state.withLockedValue { $0.ids.contains(id) }
    }

    /// Adds `id`; true if it was not in the list.
    @discardableResult
    public func insert(_ id: String) -> Bool {
        state.withLockedValue { $0.ids.insert(id).inserted }
    }

    /// The list has caught up with every revocation the database held when the catch-up began
    /// (`startedAt`, monotonic seconds: the moment it can vouch for).
    public func markSynchronised(startedAt: Double) {
        state.withLockedValue { $0.synchronisedAt = max($0.synchronisedAt, startedAt) }
    }

    /// Seconds since the moment the last catch-up vouches for.
    public var age: Double { age(now: monotonicNow()) }

    /// True when the list may be missing revocations for longer than `maxStaleness`: new
    /// handshakes are then refused (fail closed) until a catch-up succeeds.
    public var isStale: Bool { isStale(now: monotonicNow()) }

    func age(now: Double) -> Double {
        max(0, now - state.withLockedValue { $0.synchronisedAt })
    }

    func isStale(now: Double) -> Bool {
        guard let maxStaleness else { return false }
        return age(now: now) > maxStaleness
    }
}
