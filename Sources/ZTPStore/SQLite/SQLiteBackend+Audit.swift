import Foundation
import GRDB

extension SQLiteBackend {
    /// Appends one event to the audit log and returns it with its assigned id.
    ///
    /// If the log is at its row cap, the oldest rows make room in the same transaction.
    func appendAudit(actor: String, action: String, detail: String, at: Date) throws -> (event: AuditEvent, evicted: Int) {
        try write { db in
            try db.execute(
                sql: "INSERT INTO audit (time, actor, action, detail) VALUES (?, ?, ?, ?)",
                arguments: [at.storageValue, actor, action, detail])
            let event = AuditEvent(id: db.lastInsertedRowID, time: at, actor: actor, action: action, detail: detail)
            return (event, try trimAudit(db))
        }
    }

    /// Adds each tally to the row of its key, creating the row when the key has none, in one
    /// transaction (one fsync for the whole batch); then trims the log to its row cap.
    func addAuditTallies(_ tallies: [AuditTally]) throws -> AuditTallyOutcome {
        guard !tallies.isEmpty else { return AuditTallyOutcome(rowsCreated: 0, rowsEvicted: 0) }
        return try write { db in
            var created = 0
            for tally in tallies {
                // The row keeps its first time; detail follows the latest events.
                try db.execute(
                    sql: "UPDATE audit SET count = count + ?, detail = ? WHERE aggregate_key = ?",
                    arguments: [tally.count, tally.detail, tally.key])
                if db.changesCount == 0 {
                    try db.execute(
                        sql: """
                            INSERT INTO audit (time, actor, action, detail, count, aggregate_key)
                            VALUES (?, ?, ?, ?, ?, ?)
                            """,
                        arguments: [tally.time.storageValue, tally.actor, tally.action, tally.detail, tally.count, tally.key])
                    created += 1
                }
            }
            return AuditTallyOutcome(rowsCreated: created, rowsEvicted: try trimAudit(db))
        }
    }

    /// Audit events newest first (by time, then by id for events in the same instant).
    func audit(limit: Int, offset: Int) throws -> Page<AuditEvent> {
        return try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit") ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT \(AuditEvent.columns) FROM audit ORDER BY time DESC, id DESC LIMIT ? OFFSET ?",
                arguments: [limit, offset])
            return Page(total: total, items: try rows.map(AuditEvent.init(row:)))
        }
    }

    /// Deletes the rows that put the log over its cap, oldest (lowest id) first; returns how many.
    ///
    /// Ids are distinct and the newest row has the highest, so after deleting every id at or
    /// below `newest - cap` at most `cap` rows remain. The delete is a range on the primary key:
    /// its cost is the rows removed, never a scan of the log.
    private func trimAudit(_ db: Database) throws -> Int {
        guard let newest = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM audit") else { return 0 }
        try db.execute(sql: "DELETE FROM audit WHERE id <= ?", arguments: [newest - Int64(auditRowCap)])
        return db.changesCount
    }
}
