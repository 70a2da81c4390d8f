import NIOConcurrencyHelpers

/// The revoked token ids, in memory for the handshake's hot path (section 3.5 step 6).
///
/// The store is the durable copy; the management API adds to both, store first.
public final class RevocationList: Sendable {
    private let ids: NIOLockedValueBox<Set<String>>

    public init(_ initial: Set<String> = []) {
        ids = NIOLockedValueBox(initial)
    }

    public func contains(_ id: String) -> Bool {
        ids.withLockedValue { $0.contains(id) }
    }

    public func insert(_ id: String) {
        _ = ids.withLockedValue { $0.insert(id) }
    }
}
