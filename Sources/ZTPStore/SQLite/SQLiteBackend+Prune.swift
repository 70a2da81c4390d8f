import Foundation

extension SQLiteBackend {
    /// Deletes token rows (revoked or not) whose `expiresAt` is before `cutoff`, and audit rows
    /// whose time is before `auditCutoff`, in one transaction; returns how many rows went.
    ///
    /// A pruned revoked token needs no entry in the revocation set: its expiry rejects it already,
    /// as long as `cutoff` is not later than now.
    func prune(tokensExpiredBefore cutoff: Date, auditBefore auditCutoff: Date) throws -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM token WHERE expires_at < ?", arguments: [cutoff.storageValue])
            let tokens = db.changesCount
            try db.execute(sql: "DELETE FROM audit WHERE time < ?", arguments: [auditCutoff.storageValue])
            return tokens + db.changesCount
        }
    }
}
