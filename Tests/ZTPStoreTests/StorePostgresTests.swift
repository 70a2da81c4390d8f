import Foundation
import PostgresNIO
import Testing
@testable import ZTPStore
import ZTPTestSupport

/// What only the PostgreSQL backend has: migrations shared by several servers, and a server
/// that may be unreachable.
@Suite("Store on PostgreSQL")
struct StorePostgresTests {
    @Test("servers starting at once on an empty database apply each migration once", arguments: Backend.postgresOnly)
    func concurrentMigrations(backend: Backend) throws {
        try withDatabase(backend) { database in
            let failures = LockedBox<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do {
                    _ = try database.open()
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 }.isEmpty)
            let store = try database.open()
            let versions = try Self.connections(of: store).withConnection { session in
                try session.query("SELECT version FROM ztp_schema_migrations ORDER BY version").map { try $0.decode(Int.self) }
            }
            #expect(versions == PostgresSchema.migrations.map(\.version))
            try store.recordIssued(Fixtures.token("after", issued: 0))
            #expect(try store.token(jti: "after") != nil)
        }
    }

    @Test("a database at v1 gains audit counts on open: old rows read as count 1", arguments: Backend.postgresOnly)
    func migratesOldRows(backend: Backend) throws {
        try withDatabase(backend) { database in
            let store = try database.open()
            try Self.connections(of: store).withConnection { session in
                for statement in [
                    "DROP TABLE audit",
                    """
                    CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time double precision NOT NULL,
                                        actor text NOT NULL, action text NOT NULL, detail text NOT NULL)
                    """,
                    "INSERT INTO audit (time, actor, action, detail) VALUES (0, 'cli', 'token.issued', 'old')",
                    "DELETE FROM ztp_schema_migrations WHERE version = 2",
                ] { try session.execute(statement) }
            }
            try store.close()
            let reopened = try database.open()
            let items = try reopened.audit(limit: 10, offset: 0).items
            #expect(items.map(\.detail) == ["old"])
            #expect(items.map(\.count) == [1])
            try reopened.addAuditTallies([AuditTally(key: "k", actor: "ztp", action: "auth.failed", time: Fixtures.t0,
                                                     detail: "d", count: 2)])
            #expect(try reopened.audit(limit: 10, offset: 0).total == 2)
        }
    }

    @Test("an unreachable server fails the open with a database error that never shows the password")
    func unreachable() throws {
        // Port 1 on loopback: nothing listens there, so the connect is refused at once.
        let url = try PostgresURL(parsing: "postgres://ztp:s3cret-Pa55@127.0.0.1:1/ztp")
        let error = #expect(throws: StoreError.self) { try Store(postgres: url) }
        #expect(error?.code == .database)
        #expect(error?.description.contains("s3cret-Pa55") == false)
        #expect(error?.description.contains("connect") == true)
    }

    @Test("a store whose database goes away fails its calls, and recovers with a new connection", arguments: Backend.postgresOnly)
    func reconnects(backend: Backend) throws {
        try withDatabase(backend) { database in
            let store = try database.open()
            try store.recordIssued(Fixtures.token("before", issued: 0))
            // Ends every connection of this store from the server side, as a server restart would.
            let other = try database.open()
            guard case .postgres(let url) = database.location else { return }
            _ = try Self.connections(of: other).withConnection { session in
                try session.query("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = \(url.database) AND pid <> pg_backend_pid()
                    """)
            }
            // The first call may meet the dead connection; the store drops it, and calls recover.
            var recovered = false
            for _ in 0..<Backend.reconnectAttempts {
                if (try? store.token(jti: "before")) != nil {
                    recovered = true
                    break
                }
            }
            #expect(recovered)
            #expect(try store.revoke(jti: "before", at: Fixtures.t0) != .unknown)
        }
    }

    @Test("a store dropped without close closes its connections (the command line does this)", arguments: Backend.postgresOnly)
    func droppedWithoutClose(backend: Backend) throws {
        try withDatabase(backend) { database in
            let before = try Self.sessions(on: database)
            do {
                // Not through `database.open()`, which would close it at the end.
                let store = try Store.open(database.location)
                try store.recordIssued(Fixtures.token("dropped", issued: 0))
            }
            // The connection ends on the server side shortly after the store is gone.
            let deadline = ContinuousClock.now + .seconds(10)
            while try Self.sessions(on: database) > before, ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.05)
            }
            #expect(try Self.sessions(on: database) == before)
            #expect(try database.open().token(jti: "dropped") != nil)
        }
    }

    /// Server sessions connected to the test's database, not counting the one asking.
    static func sessions(on database: TestDatabase) throws -> Int {
        guard case .postgres(let url) = database.location else { return 0 }
        let probe = try Store.open(database.location)
        defer { try? probe.close() }
        return try connections(of: probe).withConnection { session in
            try session.query("""
                SELECT COUNT(*) FROM pg_stat_activity WHERE datname = \(url.database) AND pid <> pg_backend_pid()
                """).first?.decode(Int.self) ?? 0
        }
    }

    static func connections(of store: Store) throws -> PostgresConnections {
        try #require(store.backend as? PostgresBackend).connections
    }
}

extension Backend {
    /// Calls a store may fail after its connections were cut: one per connection it had open.
    static let reconnectAttempts = PostgresBackend.connectionLimit + 1
}

/// LISTEN/NOTIFY for revocations (issue 15).
@Suite("Store revocation watch on PostgreSQL")
struct StoreRevocationWatchTests {
    @Test("a watch hears revocations committed by another store, and again after its connection is cut", arguments: Backend.postgresOnly)
    func hearsRevocations(backend: Backend) async throws {
        // Threads and waits of its own: off the cooperative pool, which other suites need.
        try await offPool { try withDatabase(backend) { database in
            let store = try database.open()
            let other = try database.open()
            for jti in ["n1", "n2", "n3"] { try other.recordIssued(Fixtures.token(jti, issued: 0)) }
            let notices = LockedBox(0)
            let watch = try #require(store.watchRevocations { notices.withLock { $0 += 1 } })
            defer { watch.stop() }
            // One notice when the watch connects: what passed before it listened must be read.
            try Self.wait("the first notice") { notices.withLock { $0 } >= 1 }
            // LISTEN is sent right after; let it arrive before the first revocation.
            Thread.sleep(forTimeInterval: 0.3)
            let before = notices.withLock { $0 }
            _ = try other.revoke(jti: "n1", at: Fixtures.t0)
            try Self.wait("a notice of the revocation") { notices.withLock { $0 } > before }

            // Every connection to the database ended from the server's side (a PostgreSQL
            // restart): the watch connects again and says so with a notice.
            let afterCut = notices.withLock { $0 }
            guard case .postgres(let url) = database.location else { return }
            _ = try StorePostgresTests.connections(of: other).withConnection { session in
                try session.query("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = \(url.database) AND pid <> pg_backend_pid()
                    """)
            }
            try Self.wait("a notice after reconnecting") { notices.withLock { $0 } > afterCut }
            Thread.sleep(forTimeInterval: 0.3)
            let reconnected = notices.withLock { $0 }
            var revoked = false
            for _ in 0..<Backend.reconnectAttempts where !revoked {
                revoked = (try? other.revoke(jti: "n2", at: Fixtures.t0)) != nil
            }
            #expect(revoked)
            try Self.wait("a notice on the new connection") { notices.withLock { $0 } > reconnected }
        } }
    }

    static func wait(_ what: String, within seconds: Double = 10, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw PostgresTestFailure("\(what) did not come within \(seconds) s") }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
