import GRDB

/// The store in SQLite: a file in the data directory (or memory, for tests and dry runs).
///
/// A file store is a GRDB `DatabasePool` in WAL mode: readers run in parallel with the single
/// writer, and each method is one transaction, so callers never see a half applied change.
///
/// Writes use `synchronous = FULL`, so a method that writes has made its change durable when it
/// returns: a revocation survives a crash or power loss right after `revoke` returns.
final class SQLiteBackend: StoreBackend {
    /// The pool (file) or queue (in memory). GRDB serialises writes and guards each connection.
    let writer: any DatabaseWriter
    let auditRowCap: Int

    /// Opens the database at `path`, creating the file if missing (the directory must exist).
    ///
    /// The file, and its -wal and -shm companions, get mode 0600; then pending migrations run.
    init(path: String, auditRowCap: Int) throws {
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

    /// A database in memory only, gone with the instance.
    init(inMemoryWithAuditRowCap auditRowCap: Int) throws {
        writer = try Self.mapErrors {
            let queue = try DatabaseQueue(configuration: Configuration())
            try Schema.migrator.migrate(queue)
            return queue
        }
        self.auditRowCap = auditRowCap
    }

    func close() throws {
        try Self.mapErrors { try writer.close() }
    }

    /// Reads the schema page, never a table: a constant cost however large the file grows.
    func checkReadable() throws {
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
