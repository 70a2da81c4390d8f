import Foundation
import Testing
@testable import ZTPStore

@Suite("Store audit bounds")
struct StoreAuditBoundTests {
    static func tally(_ key: String, at seconds: TimeInterval, count: Int = 1, detail: String? = nil) -> AuditTally {
        AuditTally(key: key, actor: "ztp", action: "auth.failed", time: Fixtures.t0.addingTimeInterval(seconds),
                   detail: detail ?? "AUTH_FAILED bad signature from \(key)", count: count)
    }

    @Test("tallies with one key add up in one row: first time kept, count summed, latest detail", arguments: Backend.available)
    func talliesAggregate(backend: Backend) throws {
        try withStore(backend) { store in
            let first = try store.addAuditTallies([Self.tally("10.0.0.1 m1", at: 0, count: 3, detail: "first")])
            let second = try store.addAuditTallies([
                Self.tally("10.0.0.1 m1", at: 20, count: 4, detail: "latest"),
                Self.tally("10.0.0.2 m1", at: 25, count: 1, detail: "other"),
            ])
            #expect(first == AuditTallyOutcome(rowsCreated: 1, rowsEvicted: 0))
            #expect(second == AuditTallyOutcome(rowsCreated: 1, rowsEvicted: 0))
            let page = try store.audit(limit: 10, offset: 0)
            #expect(page.total == 2)
            let rows = page.items.map { ($0.detail, $0.count, $0.time) }
            #expect(rows.count == 2)
            #expect(rows[0] == ("other", 1, Fixtures.t0.addingTimeInterval(25)))
            #expect(rows[1] == ("latest", 7, Fixtures.t0))
        }
    }

    @Test("plain events have count 1 and are never merged into a tally's row", arguments: Backend.available)
    func plainEventsStayApart(backend: Backend) throws {
        try withStore(backend) { store in
            let plain = try store.appendAudit(actor: "cli", action: "token.issued", detail: "jti=a", at: Fixtures.t0)
            try store.addAuditTallies([Self.tally("k", at: 1, count: 2)])
            try store.appendAudit(actor: "cli", action: "token.issued", detail: "jti=b", at: Fixtures.t0.addingTimeInterval(2))
            let items = try store.audit(limit: 10, offset: 0).items
            #expect(plain.count == 1)
            #expect(items.map(\.count) == [1, 2, 1])
        }
    }

    @Test("the row cap holds: the oldest rows go, the newest stay, the total never passes the cap",
          arguments: Backend.available)
    func rowCap(backend: Backend) throws {
        try withStore(backend, auditRowCap: 10) { store in
            var appended: [AuditEvent] = []
            for index in 0..<25 {
                appended.append(try store.appendAudit(actor: "cli", action: "token.issued", detail: "\(index)",
                                                      at: Fixtures.t0.addingTimeInterval(Double(index))))
                #expect(try store.audit(limit: 0, offset: 0).total == min(index + 1, 10))
            }
            #expect(try store.audit(limit: 100, offset: 0).items == Array(appended.suffix(10).reversed()))
        }
    }

    @Test("an auth-failure flood from many sources leaves at most the cap, and says how many went",
          arguments: Backend.available)
    func floodFromManySources(backend: Backend) throws {
        try withStore(backend, auditRowCap: 100) { store in
            var evicted = 0
            var created = 0
            // 50 batches of 40 distinct sources, each seen 25 times: 50,000 failures.
            for batch in 0..<50 {
                let tallies = (0..<40).map { source in
                    Self.tally("10.0.\(batch).\(source) m0", at: Double(batch), count: 25)
                }
                let outcome = try store.addAuditTallies(tallies)
                created += outcome.rowsCreated
                evicted += outcome.rowsEvicted
            }
            let page = try store.audit(limit: 1000, offset: 0)
            #expect(created == 2000)
            #expect(page.total == 100)
            #expect(evicted == 1900)
            #expect(page.items.allSatisfy { $0.count == 25 })
            // The survivors are the newest rows: the last 100 created (batch 47's second half, 48, 49).
            let batches = page.items.map { $0.detail.split(separator: ".")[2] }
            #expect(batches.filter { $0 == "47" }.count == 20)
            #expect(batches.filter { $0 == "48" }.count == 40)
            #expect(batches.filter { $0 == "49" }.count == 40)
        }
    }

    @Test("an auth-failure flood from one source in one minute is one row, however long it lasts",
          arguments: Backend.available)
    func floodFromOneSource(backend: Backend) throws {
        try withStore(backend, auditRowCap: 100) { store in
            for second in 0..<1000 {
                try store.addAuditTallies([Self.tally("10.9.9.9 m7", at: Double(second) / 100, count: 10)])
            }
            let page = try store.audit(limit: 10, offset: 0)
            #expect(page.total == 1)
            #expect(page.items.first?.count == 10_000)
            #expect(page.items.first?.time == Fixtures.t0)
        }
    }

    @Test("the readiness probe answers on an open store and throws on a closed one", arguments: Backend.available)
    func readable(backend: Backend) throws {
        try withStore(backend) { store in
            try store.checkReadable()
            try store.close()
            #expect(throws: StoreError.self) { try store.checkReadable() }
        }
    }

    @Test("a store written before audit counts gains them on open: old rows read as count 1")
    func migratesOldRows() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/ztp.sqlite"
            try Self.downgradeToV1(path)
            let store = try Store(path: path)
            let items = try store.audit(limit: 10, offset: 0).items
            #expect(items.map(\.detail) == ["old"])
            #expect(items.map(\.count) == [1])
        }
    }

    /// Rewrites the file's audit table as v1 had it (no count, no key) and forgets v2.
    static func downgradeToV1(_ path: String) throws {
        let store = try Store(path: path)
        try (store.backend as! SQLiteBackend).write { db in
            try db.execute(sql: """
                DROP TABLE audit;
                CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, actor TEXT NOT NULL,
                                    action TEXT NOT NULL, detail TEXT NOT NULL);
                CREATE INDEX audit_time ON audit(time);
                INSERT INTO audit (time, actor, action, detail) VALUES (0, 'cli', 'token.issued', 'old');
                DELETE FROM grdb_migrations WHERE identifier = 'v2: audit counts';
                """)
        }
        try store.close()
    }
}
