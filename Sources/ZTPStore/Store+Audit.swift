import Foundation
import GRDB

extension Store {
    /// Appends one event to the audit log and returns it with its assigned id.
    @discardableResult
    public func appendAudit(actor: String, action: String, detail: String, at: Date) throws -> AuditEvent {
        try write { db in
            try db.execute(
                sql: "INSERT INTO audit (time, actor, action, detail) VALUES (?, ?, ?, ?)",
                arguments: [at.storageValue, actor, action, detail])
            return AuditEvent(id: db.lastInsertedRowID, time: at, actor: actor, action: action, detail: detail)
        }
    }

    /// Audit events newest first (by time, then by id for events in the same instant).
    public func audit(limit: Int, offset: Int) throws -> Page<AuditEvent> {
        try Self.validatePage(limit: limit, offset: offset)
        return try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit") ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT \(AuditEvent.columns) FROM audit ORDER BY time DESC, id DESC LIMIT ? OFFSET ?",
                arguments: [limit, offset])
            return Page(total: total, items: try rows.map(AuditEvent.init(row:)))
        }
    }
}
