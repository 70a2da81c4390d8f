import Foundation
import Testing
@testable import ZTPStore
import ZTPTestSupport

/// Revocations numbered in commit order, followed by number: what lets every server on one
/// database apply every revocation, notices or not (issue 15).
@Suite("Store revocation sequence")
struct StoreRevocationSequenceTests {
    @Test("revocations are numbered from 1 in the order they are made; a repeat takes no number", arguments: Backend.available)
    func numbered(backend: Backend) throws {
        try withStore(backend) { store in
            #expect(try store.revocationSnapshot() == RevocationSnapshot(jtis: [], lastSequence: 0))
            for jti in ["a", "b", "c", "d"] { try store.recordIssued(Fixtures.token(jti, issued: 0)) }
            for jti in ["c", "a", "d"] { _ = try store.revoke(jti: jti, at: Fixtures.t0) }
            _ = try store.revoke(jti: "a", at: Fixtures.t0.addingTimeInterval(1))
            _ = try store.revoke(jti: "unknown", at: Fixtures.t0)

            let all = try store.revocations(after: 0, limit: 10)
            #expect(all == [Revocation(jti: "c", sequence: 1), Revocation(jti: "a", sequence: 2), Revocation(jti: "d", sequence: 3)])
            #expect(try store.revocations(after: 1, limit: 1) == [Revocation(jti: "a", sequence: 2)])
            #expect(try store.revocations(after: 3, limit: 10).isEmpty)
            #expect(try store.revocationSnapshot() == RevocationSnapshot(jtis: ["a", "c", "d"], lastSequence: 3))
        }
    }

    @Test("a number is never given twice, even after the token that had the last one is pruned", arguments: Backend.available)
    func neverReused(backend: Backend) throws {
        try withStore(backend) { store in
            try store.recordIssued(Fixtures.token("short", issued: 0, lifetime: 10))
            try store.recordIssued(Fixtures.token("long", issued: 0, lifetime: 10_000))
            _ = try store.revoke(jti: "short", at: Fixtures.t0)
            try store.prune(tokensExpiredBefore: Fixtures.t0.addingTimeInterval(100), auditBefore: Fixtures.t0)
            #expect(try store.revocations(after: 0, limit: 10).isEmpty)
            _ = try store.revoke(jti: "long", at: Fixtures.t0)
            #expect(try store.revocations(after: 0, limit: 10) == [Revocation(jti: "long", sequence: 2)])
            #expect(try store.revocationSnapshot().lastSequence == 2)
        }
    }

    @Test("revocations made at once by several servers appear in number order: a follower that polls misses none", arguments: Backend.available)
    func followerMissesNone(backend: Backend) async throws {
        // Threads and waits of its own: off the cooperative pool, which other suites need.
        try await offPool { try withDatabase(backend) { database in
            let writers = [try database.open(), try database.open()]
            let follower = try database.open()
            let count = 120
            for index in 0..<count { try writers[0].recordIssued(Fixtures.token("t\(index)", issued: 0)) }

            let done = LockedBox(false)
            let seen = LockedBox<[Revocation]>([])
            let followerThread = Thread {
                var last: Int64 = 0
                while true {
                    let finished = done.withLock { $0 }
                    // Only the numbers after the last one seen, as a server follows them.
                    // A read that keeps failing after the writers are done ends the follower
                    // (the counts below then fail) rather than spinning for ever.
                    guard let batch = try? follower.revocations(after: last, limit: 7) else {
                        if finished { break }
                        continue
                    }
                    seen.withLock { $0 += batch }
                    last = batch.last?.sequence ?? last
                    if finished, batch.isEmpty { break }
                }
                done.withLock { $0 = false }
            }
            followerThread.start()
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                for index in stride(from: worker, to: count, by: 4) {
                    _ = try? writers[worker % 2].revoke(jti: "t\(index)", at: Fixtures.t0)
                }
            }
            done.withLock { $0 = true }
            while done.withLock({ $0 }) { Thread.sleep(forTimeInterval: 0.01) }

            let revocations = seen.withLock { $0 }
            #expect(revocations.map(\.sequence) == Array(1...Int64(count)))
            #expect(Set(revocations.map(\.jti)) == Set((0..<count).map { "t\($0)" }))
        } }
    }

    @Test("tokens revoked before the sequence existed are numbered in the order they were revoked")
    func numbersOldRevocations() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/ztp.sqlite"
            let store = try Store(path: path)
            for jti in ["x", "y", "z"] { try store.recordIssued(Fixtures.token(jti, issued: 0)) }
            _ = try store.revoke(jti: "z", at: Fixtures.t0.addingTimeInterval(1))
            _ = try store.revoke(jti: "x", at: Fixtures.t0.addingTimeInterval(2))
            try (store.backend as! SQLiteBackend).write { db in
                try db.execute(sql: """
                    DROP INDEX token_revocation_seq;
                    DROP TABLE revocation_counter;
                    ALTER TABLE token DROP COLUMN revocation_seq;
                    DELETE FROM grdb_migrations WHERE identifier = 'v3: revocation sequence';
                    """)
            }
            try store.close()
            let migrated = try Store(path: path)
            #expect(try migrated.revocations(after: 0, limit: 10)
                    == [Revocation(jti: "z", sequence: 1), Revocation(jti: "x", sequence: 2)])
            _ = try migrated.revoke(jti: "y", at: Fixtures.t0.addingTimeInterval(3))
            #expect(try migrated.revocationSnapshot() == RevocationSnapshot(jtis: ["x", "y", "z"], lastSequence: 3))
        }
    }

    @Test("SQLite has no watch: one server per file makes every revocation itself")
    func noWatchOnSQLite() throws {
        try withStore(.sqlite) { store in
            #expect(store.watchRevocations {} == nil)
        }
    }
}
