import GRDB

/// The server's persistent state in SQLite: issued-token metadata, revocations, and the audit log.
///
/// A file store (`init(path:)`) is a GRDB `DatabasePool` in WAL mode: readers run in parallel
/// with the single writer, and each method is one transaction, so callers never see a half
/// applied change. Every method is synchronous and may be called from any thread (the HTTP API
/// calls them from libmicrohttpd threads); none touches Swift concurrency.
///
/// Writes use `synchronous = FULL`, so a method that writes has made its change durable when it
/// returns: a revocation survives a crash or power loss right after `revoke` returns.
///
/// The audit log holds at most `auditRowCap` rows: a write that would pass the cap removes the
/// oldest rows in the same transaction, so no flood of events can grow the file without bound
/// between two prunes.
public final class Store: Sendable {
    /// The pool (file) or queue (in memory). GRDB serialises writes and guards each connection.
    let writer: any DatabaseWriter
    /// The most audit rows kept; at least 1.
    public let auditRowCap: Int

    /// Audit rows kept unless the operator says otherwise: months of a busy server's actions,
    /// a few tens of MB at most.
    public static let defaultAuditRowCap = 100_000

    /// Opens the store at `path`, creating the file if missing (the directory must exist).
    ///
    /// The file, and its -wal and -shm companions, get mode 0600; then pending migrations run.
    public init(path: String, auditRowCap: Int = Store.defaultAuditRowCap) throws {
        precondition(auditRowCap >= 1, "the audit row cap must be at least 1")
        try FilePermissions.prepareDatabaseFile(at: path)
        let pool = try Self.mapErrors {
            var configuration = Configuration()
            configuration.label = "ZTPStore"
            // Another process (the CLI) may hold the write lock for a moment.
            configuration.busyMode = .timeout(5)
            let pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB sets NORMAL for WAL, which may lose the last commits on power loss.
            try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") }
            try Schema.migrator.migrate(pool)
            return pool
        }
        for companion in [path + "-wal", path + "-shm"] {
            try FilePermissions.restrictIfPresent(companion)
        }
        self.writer = pool
        self.auditRowCap = auditRowCap
    }

    private init(writer: any DatabaseWriter, auditRowCap: Int) {
        self.writer = writer
        self.auditRowCap = auditRowCap
    }

    /// A store that lives in memory only and disappears with the instance; for tests and dry runs.
    public static func inMemory(auditRowCap: Int = Store.defaultAuditRowCap) throws -> Store {
        precondition(auditRowCap >= 1, "the audit row cap must be at least 1")
        let queue = try mapErrors {
            let queue = try DatabaseQueue(configuration: Configuration())
            try Schema.migrator.migrate(queue)
            return queue
        }
        return Store(writer: queue, auditRowCap: auditRowCap)
    }

    /// Closes the database connections; every later call throws `StoreError.Code.database`.
    ///
    /// Deallocating the store closes it too; this is for an orderly shutdown that reports errors.
    public func close() throws {
        try Self.mapErrors { try writer.close() }
    }

    /// Throws unless the database answers a read; a constant-cost probe (it reads the schema
    /// page, never a table) for readiness checks.
    public func checkReadable() throws {
        try read { db in _ = try Int.fetchOne(db, sql: "SELECT 1 FROM sqlite_master LIMIT 1") }
    }

    /// Runs `updates` in one write transaction, committed before this returns.
    func write<T>(_ updates: (Database) throws -> T) throws -> T {
        try Self.mapErrors { try writer.write(updates) }
    }

    /// Runs `value` in one read transaction, on a consistent snapshot.
    func read<T>(_ value: (Database) throws -> T) throws -> T {
        try Self.mapErrors { try writer.read(value) }
    }

    private static func mapErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(error)
        }
    }
}
