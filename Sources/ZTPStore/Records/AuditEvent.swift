import Foundation

/// One line of the audit log: who did what, when.
///
/// `id` is assigned by the store, increases with every append and is never reused, even after
/// pruning.
public struct AuditEvent: Sendable, Equatable, Codable {
    public var id: Int64
    public var time: Date
    /// Who acted, e.g. `"admin-api"`, `"cli"`, `"ztp"`.
    public var actor: String
    /// What happened, e.g. `"token.issued"`, `"token.revoked"`, `"session.terminated"`, `"auth.failed"`.
    public var action: String
    /// Free text for humans, e.g. the jti or client concerned.
    public var detail: String

    public init(id: Int64, time: Date, actor: String, action: String, detail: String) {
        self.id = id
        self.time = time
        self.actor = actor
        self.action = action
        self.detail = detail
    }
}
