import Foundation
import Logging
import PostgresNIO

/// The store in PostgreSQL, which several servers can share.
///
/// Each method is one transaction (or one statement) on a connection of its own, committed
/// before it returns: with PostgreSQL's default `synchronous_commit = on`, a revocation is on
/// disk when `revoke` returns. Concurrent writers from several servers are safe: `revoke` locks
/// the token's row, and audit tallies merge through `INSERT ... ON CONFLICT`.
final class PostgresBackend: StoreBackend {
    let auditRowCap: Int
    let connections: PostgresConnections
    private let watches = LockedWatches()

    /// Connections per store: the API's concurrent requests, the audit writer and the expiry
    /// watcher rarely need more; further callers wait their turn.
    static let connectionLimit = 4

    init(url: PostgresURL, auditRowCap: Int, logger: Logger) throws {
        self.auditRowCap = auditRowCap
        connections = PostgresConnections(url: url, limit: Self.connectionLimit, logger: logger)
        do {
            try PostgresSchema.migrate(connections)
        } catch {
            try? connections.close()
            throw error
        }
    }

    func close() throws {
        // Their connections run on the store's loop, which stops with it.
        for watch in watches.withLock({ $0 }) { watch.stop() }
        do {
            try connections.close()
        } catch {
            throw PostgresSession.storeError(error, doing: "close")
        }
    }

    /// A constant-cost probe: one round trip that reads no table.
    func checkReadable() throws {
        try connections.withConnection { try $0.execute("SELECT 1") }
    }

    // MARK: Tokens

    static let tokenColumns = "jti, client_id, role, issued_at, expires_at, revoked_at"

    static func token(_ row: PostgresRow) throws -> TokenRecord {
        let (jti, clientID, role, issuedAt, expiresAt, revokedAt) =
            try row.decode((String, String, String, Double, Double, Double?).self)
        return TokenRecord(jti: jti, clientID: clientID, role: role, issuedAt: Date(storageValue: issuedAt),
                           expiresAt: Date(storageValue: expiresAt), revokedAt: revokedAt.map(Date.init(storageValue:)))
    }

    func recordIssued(_ token: TokenRecord) throws {
        do {
            _ = try connections.withConnection { session in
                try session.query("""
                    INSERT INTO token (jti, client_id, role, issued_at, expires_at, revoked_at)
                    VALUES (\(token.jti), \(token.clientID), \(token.role), \(token.issuedAt.storageValue),
                            \(token.expiresAt.storageValue), \(token.revokedAt?.storageValue))
                    """)
            }
        } catch where PostgresSession.sqlState(of: error) == "23505" {
            throw StoreError.duplicateToken(jti: token.jti)
        }
    }

    func revoke(jti: String, at: Date) throws -> RevokeOutcome {
        try connections.transaction { session in
            // FOR UPDATE: of two servers revoking at once, the second waits and sees the first's.
            let rows = try session.query(
                "SELECT \(unescaped: Self.tokenColumns) FROM token WHERE jti = \(jti) FOR UPDATE")
            guard let row = rows.first else { return .unknown }
            var record = try Self.token(row)
            if record.revokedAt != nil { return .alreadyRevoked(record) }
            // The counter row stays locked until COMMIT: see PostgresSchema's v3.
            let counter = try session.query("UPDATE revocation_counter SET last = last + 1 WHERE id = 1 RETURNING last")
            let sequence = try counter.first?.decode(Int64.self) ?? 0
            try session.query("""
                UPDATE token SET revoked_at = \(at.storageValue), revocation_seq = \(sequence) WHERE jti = \(jti)
                """)
            // Delivered at COMMIT, and only if it commits: durable first, then the notice.
            try session.query("SELECT pg_notify(\(StoreChannel.revocations.rawValue), \(String(sequence)))")
            record.revokedAt = at
            return .revoked(record)
        }
    }

    func revocationSnapshot() throws -> RevocationSnapshot {
        try connections.withConnection { session in
            // The counter first, then the tokens (each statement sees what was committed when it
            // began): a revocation committed in between is in the set and after the number, so
            // it is applied twice, which is harmless; the other order could miss one.
            let last = try session.query("SELECT last FROM revocation_counter WHERE id = 1").first?.decode(Int64.self) ?? 0
            let jtis = Set(try session.query("SELECT jti FROM token WHERE revoked_at IS NOT NULL").map { try $0.decode(String.self) })
            return RevocationSnapshot(jtis: jtis, lastSequence: last)
        }
    }

    func revocations(after sequence: Int64, limit: Int) throws -> [Revocation] {
        try connections.withConnection { session in
            try session.query("""
                SELECT jti, revocation_seq FROM token WHERE revocation_seq > \(sequence) ORDER BY revocation_seq LIMIT \(limit)
                """).map { row in
                let (jti, number) = try row.decode((String, Int64).self)
                return Revocation(jti: jti, sequence: number)
            }
        }
    }

    func watch(_ channels: [StoreChannel], _ onNotice: @escaping @Sendable (StoreNotice) -> Void) -> (any StoreWatch)? {
        let watch = PostgresWatch(connections: connections, channels: channels, onNotice: onNotice)
        watches.withLock { $0.append(watch) }
        return watch
    }

    func notify(_ channel: StoreChannel, payload: String) throws {
        try connections.withConnection { session in
            try session.query("SELECT pg_notify(\(channel.rawValue), \(payload))")
        }
    }

    func token(jti: String) throws -> TokenRecord? {
        try connections.withConnection { session in
            try session.query("SELECT \(unescaped: Self.tokenColumns) FROM token WHERE jti = \(jti)").first.map(Self.token)
        }
    }

    func tokens(clientID: String?, state: TokenState?, now: Date, limit: Int, offset: Int) throws -> Page<TokenRecord> {
        var conditions: [String] = []
        var binds = PostgresBindings()
        if let clientID {
            binds.append(clientID)
            conditions.append("client_id = $\(binds.count)")
        }
        // Mirrors `TokenRecord.state(at:)`: revocation wins, and expiry is at `now >= expiresAt`.
        switch state {
        case nil:
            break
        case .active:
            binds.append(now.storageValue)
            conditions.append("revoked_at IS NULL AND expires_at > $\(binds.count)")
        case .expired:
            binds.append(now.storageValue)
            conditions.append("revoked_at IS NULL AND expires_at <= $\(binds.count)")
        case .revoked:
            conditions.append("revoked_at IS NOT NULL")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        var pageBinds = binds
        pageBinds.append(limit)
        pageBinds.append(offset)
        // One snapshot for the count and the page, as SQLite's read transaction gives.
        return try connections.transaction { session in
            try session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let total = try session.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*) FROM token \(filter)", binds: binds))
                .first?.decode(Int.self) ?? 0
            let rows = try session.query(PostgresQuery(unsafeSQL: """
                SELECT \(Self.tokenColumns) FROM token \(filter)
                ORDER BY issued_at DESC, seq DESC LIMIT $\(binds.count + 1) OFFSET $\(binds.count + 2)
                """, binds: pageBinds))
            return Page(total: total, items: try rows.map(Self.token))
        }
    }

    func tokensExpiring(after: Store.ExpiryCursor, upTo: Date, limit: Int) throws -> [TokenRecord] {
        try connections.withConnection { session in
            try session.query("""
                SELECT \(unescaped: Self.tokenColumns) FROM token
                WHERE (expires_at, jti) > (\(after.expiresAt.storageValue), \(after.jti))
                  AND expires_at <= \(upTo.storageValue) AND revoked_at IS NULL
                ORDER BY expires_at, jti LIMIT \(limit)
                """).map(Self.token)
        }
    }

    // MARK: Audit

    static let auditColumns = "id, time, actor, action, detail, count"

    static func auditEvent(_ row: PostgresRow) throws -> AuditEvent {
        let (id, time, actor, action, detail, count) = try row.decode((Int64, Double, String, String, String, Int).self)
        return AuditEvent(id: id, time: Date(storageValue: time), actor: actor, action: action, detail: detail, count: count)
    }

    func appendAudit(actor: String, action: String, detail: String, at: Date) throws -> (event: AuditEvent, evicted: Int) {
        try connections.transaction { session in
            let id = try session.query("""
                INSERT INTO audit (time, actor, action, detail) VALUES (\(at.storageValue), \(actor), \(action), \(detail))
                RETURNING id
                """).first?.decode(Int64.self) ?? 0
            return (AuditEvent(id: id, time: at, actor: actor, action: action, detail: detail), try trimAudit(session))
        }
    }

    func addAuditTallies(_ tallies: [AuditTally]) throws -> AuditTallyOutcome {
        try connections.transaction { session in
            var created = 0
            for tally in tallies {
                // The row keeps its first time; detail follows the latest events. UPDATE first,
                // as in SQLite: an INSERT that conflicts still takes an id from the sequence,
                // and the row cap counts ids. ON CONFLICT covers a row another server inserted
                // since; `xmax = 0` marks a row this statement inserted rather than updated.
                let updated = try session.changes("""
                    UPDATE audit SET count = count + \(tally.count), detail = \(tally.detail) WHERE aggregate_key = \(tally.key)
                    """)
                if updated > 0 { continue }
                let inserted = try session.query("""
                    INSERT INTO audit (time, actor, action, detail, count, aggregate_key)
                    VALUES (\(tally.time.storageValue), \(tally.actor), \(tally.action), \(tally.detail), \(tally.count), \(tally.key))
                    ON CONFLICT (aggregate_key) DO UPDATE
                    SET count = audit.count + EXCLUDED.count, detail = EXCLUDED.detail
                    RETURNING (xmax = 0)
                    """).first?.decode(Bool.self) ?? false
                if inserted { created += 1 }
            }
            return AuditTallyOutcome(rowsCreated: created, rowsEvicted: try trimAudit(session))
        }
    }

    func audit(limit: Int, offset: Int) throws -> Page<AuditEvent> {
        try connections.transaction { session in
            try session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let total = try session.query("SELECT COUNT(*) FROM audit").first?.decode(Int.self) ?? 0
            let rows = try session.query("""
                SELECT \(unescaped: Self.auditColumns) FROM audit ORDER BY time DESC, id DESC LIMIT \(limit) OFFSET \(offset)
                """)
            return Page(total: total, items: try rows.map(Self.auditEvent))
        }
    }

    /// Deletes the rows that put the log over its cap, oldest (lowest id) first; returns how
    /// many. A range on the primary key, as in SQLite: its cost is the rows removed.
    private func trimAudit(_ session: PostgresSession) throws -> Int {
        guard let newest = try session.query("SELECT MAX(id) FROM audit").first?.decode(Int64?.self) else { return 0 }
        return try session.changes("DELETE FROM audit WHERE id <= \(newest - Int64(auditRowCap))")
    }

    // MARK: Pruning

    func prune(tokensExpiredBefore cutoff: Date, auditBefore auditCutoff: Date) throws -> Int {
        try connections.transaction { session in
            try session.changes("DELETE FROM token WHERE expires_at < \(cutoff.storageValue)")
                + session.changes("DELETE FROM audit WHERE time < \(auditCutoff.storageValue)")
        }
    }
}

/// The watches a store opened, stopped when it closes.
private final class LockedWatches: @unchecked Sendable {
    private let lock = NSLock()
    private var value: [PostgresWatch] = []

    func withLock<T>(_ body: (inout [PostgresWatch]) -> T) -> T {
        lock.withLock { body(&value) }
    }
}
