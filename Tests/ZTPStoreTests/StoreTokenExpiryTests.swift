import Foundation
import Testing
@testable import ZTPStore

@Suite("Store tokens expiring")
struct StoreTokenExpiryTests {
    static func start(_ offset: TimeInterval) -> Store.ExpiryCursor {
        Store.ExpiryCursor(expiresAt: Fixtures.t0.addingTimeInterval(offset), jti: "")
    }

    @Test("returns unrevoked tokens expiring in (after, upTo], soonest first", arguments: Backend.available)
    func window(backend: Backend) throws {
        try withStore(backend) { store in
            // Expiries at t0 + 10, 20, 30, 40.
            for (index, jti) in ["a", "b", "c", "d"].enumerated() {
                try store.recordIssued(Fixtures.token(jti, issued: 0, lifetime: Double(index + 1) * 10))
            }
            _ = try store.revoke(jti: "c", at: Fixtures.t0)
            let found = try store.tokensExpiring(after: Self.start(10), upTo: Fixtures.t0.addingTimeInterval(40), limit: 10)
            // "a" expires at the cursor's instant with a jti after "": included; so is d at upTo.
            #expect(found.map(\.jti) == ["a", "b", "d"])
            let past = Store.ExpiryCursor(expiresAt: Fixtures.t0.addingTimeInterval(10), jti: "a")
            #expect(try store.tokensExpiring(after: past, upTo: Fixtures.t0.addingTimeInterval(39), limit: 10).map(\.jti) == ["b"])
        }
    }

    @Test("batches walk tokens sharing an expiry instant without skipping or repeating one", arguments: Backend.available)
    func batchesShareInstant(backend: Backend) throws {
        try withStore(backend) { store in
            for jti in ["t1", "t2", "t3", "t4", "t5"] {
                try store.recordIssued(Fixtures.token(jti, issued: 0, lifetime: 60))
            }
            var cursor = Self.start(0)
            var seen: [String] = []
            while true {
                let batch = try store.tokensExpiring(after: cursor, upTo: Fixtures.t0.addingTimeInterval(60), limit: 2)
                #expect(batch.count <= 2)
                seen += batch.map(\.jti)
                guard let last = batch.last else { break }
                cursor = Store.ExpiryCursor(expiresAt: last.expiresAt, jti: last.jti)
            }
            #expect(seen == ["t1", "t2", "t3", "t4", "t5"])
        }
    }
}
