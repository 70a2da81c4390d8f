import Foundation

/// One line of the audit log: who did what, when, and how many times.
///
/// `id` is assigned by the store, increases with every new row and is never reused, even after
/// pruning. Most rows stand for one event (`count` 1); an aggregated row (see `AuditTally`)
/// stands for `count` events of one kind, from one source, within one minute.
public struct AuditEvent: Sendable, Equatable, Codable {
    public var id: Int64
    /// When the event happened; for an aggregated row, the first of its events.
    public var time: Date
    /// Who acted, e.g. `"admin-api"`, `"cli"`, `"ztp"`.
    public var actor: String
    /// What happened, e.g. `"token.issued"`, `"token.revoked"`, `"session.terminated"`, `"auth.failed"`.
    public var action: String
    /// Free text for humans, e.g. the jti or client concerned; for an aggregated row, the latest event's.
    public var detail: String
    /// How many events this row stands for, at least 1.
    public var count: Int

    public init(id: Int64, time: Date, actor: String, action: String, detail: String, count: Int = 1) {
        self.id = id
        self.time = time
        self.actor = actor
        self.action = action
        self.detail = detail
        self.count = count
    }
}
