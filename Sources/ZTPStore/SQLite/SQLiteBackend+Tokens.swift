import Foundation
import GRDB

extension SQLiteBackend {
    /// Records a newly issued token. Throws `StoreError.Code.duplicateToken` if its jti is stored.
    func recordIssued(_ token: TokenRecord) throws {
        try write { db in
            do {
                try db.execute(
                    sql: "INSERT INTO token (\(TokenRecord.columns)) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [
                        token.jti, token.clientID, token.role,
                        token.issuedAt.storageValue, token.expiresAt.storageValue,
                        token.revokedAt?.storageValue,
                    ])
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw StoreError.duplicateToken(jti: token.jti)
            }
        }
    }

    /// Revokes the token `jti` at `at`, committed to disk before this returns.
    ///
    /// A token revoked before keeps its first `revokedAt` and yields `.alreadyRevoked`.
    func revoke(jti: String, at: Date) throws -> RevokeOutcome {
        try write { db in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT \(TokenRecord.columns) FROM token WHERE jti = ?", arguments: [jti])
            else { return .unknown }
            var record = try TokenRecord(row: row)
            if record.revokedAt != nil { return .alreadyRevoked(record) }
            // The write transaction is the only one, so numbers follow commit order.
            try db.execute(sql: "UPDATE revocation_counter SET last = last + 1 WHERE id = 1")
            let sequence = try Int64.fetchOne(db, sql: "SELECT last FROM revocation_counter WHERE id = 1") ?? 0
            try db.execute(
                sql: "UPDATE token SET revoked_at = ?, revocation_seq = ? WHERE jti = ?",
                arguments: [at.storageValue, sequence, jti])
            record.revokedAt = at
            return .revoked(record)
        }
    }

    func revocationSnapshot() throws -> RevocationSnapshot {
        try read { db in
            RevocationSnapshot(
                jtis: Set(try String.fetchAll(db, sql: "SELECT jti FROM token WHERE revoked_at IS NOT NULL")),
                lastSequence: try Int64.fetchOne(db, sql: "SELECT last FROM revocation_counter WHERE id = 1") ?? 0)
        }
    }

    func revocations(after sequence: Int64, limit: Int) throws -> [Revocation] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT jti, revocation_seq FROM token WHERE revocation_seq > ? ORDER BY revocation_seq LIMIT ?",
                arguments: [sequence, limit]
            ).map { Revocation(jti: $0[0], sequence: $0[1]) }
        }
    }

    /// The token `jti`, or nil if it was never recorded or has been pruned.
    func token(jti: String) throws -> TokenRecord? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(TokenRecord.columns) FROM token WHERE jti = ?", arguments: [jti]
            ).map(TokenRecord.init(row:))
        }
    }

    /// Tokens newest issued first, optionally only one client's and only those in `state` at `now`.
    ///
    /// `total` counts every match; `items` holds at most `limit` of them, skipping `offset`.
    func tokens(
        clientID: String?, state: TokenState?, now: Date, limit: Int, offset: Int
    ) throws -> Page<TokenRecord> {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let clientID {
            conditions.append("client_id = ?")
            arguments += [clientID]
        }
        // Mirrors `TokenRecord.state(at:)`: revocation wins, and expiry is at `now >= expiresAt`.
        switch state {
        case nil:
            break
        case .active:
            conditions.append("revoked_at IS NULL AND expires_at > ?")
            arguments += [now.storageValue]
        case .expired:
            conditions.append("revoked_at IS NULL AND expires_at <= ?")
            arguments += [now.storageValue]
        case .revoked:
            conditions.append("revoked_at IS NOT NULL")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try read { db in
            let total = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM token \(filter)", arguments: arguments) ?? 0
            // rowid breaks ties between tokens issued in the same instant: later insert first.
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(TokenRecord.columns) FROM token \(filter)
                    ORDER BY issued_at DESC, rowid DESC LIMIT ? OFFSET ?
                    """,
                arguments: arguments + [limit, offset])
            return Page(total: total, items: try rows.map(TokenRecord.init(row:)))
        }
    }

    /// Unrevoked tokens that expire after `after` (in (expiresAt, jti) order, so tokens sharing
    /// an instant are neither skipped nor repeated across batches) and at or before `upTo`:
    /// at most `limit`, soonest first. Walks the `token_expires` index.
    func tokensExpiring(after: Store.ExpiryCursor, upTo: Date, limit: Int) throws -> [TokenRecord] {
        precondition(limit >= 1)
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(TokenRecord.columns) FROM token
                    WHERE (expires_at > ? OR (expires_at = ? AND jti > ?)) AND expires_at <= ? AND revoked_at IS NULL
                    ORDER BY expires_at, jti LIMIT ?
                    """,
                arguments: [after.expiresAt.storageValue, after.expiresAt.storageValue, after.jti,
                            upTo.storageValue, limit]
            ).map(TokenRecord.init(row:))
        }
    }
}
