import Foundation

/// Events of one kind counted together before they reach the audit log, so that a flood (failed
/// authentications) costs one row per `key`, not one row per event.
///
/// `key` names the group, e.g. the source address and the minute; tallies with the same `key`
/// add up into one row, whose `time` stays that of its first event and whose `detail` becomes
/// the latest tally's.
public struct AuditTally: Sendable, Equatable {
    public var key: String
    public var actor: String
    public var action: String
    /// The first event's time.
    public var time: Date
    /// The latest event's detail.
    public var detail: String
    /// How many events, at least 1.
    public var count: Int

    public init(key: String, actor: String, action: String, time: Date, detail: String, count: Int) {
        precondition(count >= 1, "a tally counts at least one event")
        self.key = key
        self.actor = actor
        self.action = action
        self.time = time
        self.detail = detail
        self.count = count
    }
}

/// What `Store.addAuditTallies` did with a batch.
public struct AuditTallyOutcome: Sendable, Equatable {
    /// Rows created (tallies whose key had no row yet).
    public var rowsCreated: Int
    /// Rows removed to keep the log within its row cap.
    public var rowsEvicted: Int

    public init(rowsCreated: Int, rowsEvicted: Int) {
        self.rowsCreated = rowsCreated
        self.rowsEvicted = rowsEvicted
    }
}
