import Foundation
import Testing
@testable import ZTPStore

@Suite("Store revocation")
struct StoreRevokeTests {
    @Test("revoking an active token stores revokedAt and returns the updated record")
    func revokesActive() throws {
        try withFileStore { store, _ in
            let record = Fixtures.token("r1", issued: 0)
            try store.recordIssued(record)
            let at = Fixtures.t0.addingTimeInterval(12.345_678_9)

            var expected = record
            expected.revokedAt = at
            #expect(try store.revoke(jti: "r1", at: at) == .revoked(expected))
            #expect(try store.token(jti: "r1") == expected)
            #expect(try store.revokedJTIs() == ["r1"])
        }
    }

    @Test("revoking twice reports alreadyRevoked and keeps the first revokedAt")
    func alreadyRevoked() throws {
        try withFileStore { store, _ in
            try store.recordIssued(Fixtures.token("r2", issued: 0))
            let first = Fixtures.t0.addingTimeInterval(10)
            guard case .revoked(let revoked) = try store.revoke(jti: "r2", at: first) else {
                Issue.record("first revoke did not revoke")
                return
            }
            #expect(try store.revoke(jti: "r2", at: first.addingTimeInterval(50)) == .alreadyRevoked(revoked))
            #expect(try store.token(jti: "r2")?.revokedAt == first)
        }
    }

    @Test("revoking an unknown jti reports unknown and stores nothing")
    func unknown() throws {
        try withFileStore { store, _ in
            try store.recordIssued(Fixtures.token("known", issued: 0))
            #expect(try store.revoke(jti: "nope", at: Fixtures.t0) == .unknown)
            #expect(try store.token(jti: "nope") == nil)
            #expect(try store.revokedJTIs().isEmpty)
        }
    }

    @Test("an expired token can still be revoked")
    func revokesExpired() throws {
        try withFileStore { store, _ in
            try store.recordIssued(Fixtures.token("old", issued: 0, lifetime: 1))
            let outcome = try store.revoke(jti: "old", at: Fixtures.t0.addingTimeInterval(100))
            guard case .revoked(let record) = outcome else {
                Issue.record("expected .revoked, got \(outcome)")
                return
            }
            #expect(record.state(at: Fixtures.t0.addingTimeInterval(100)) == .revoked)
        }
    }

    @Test("revokedJTIs lists exactly the revoked tokens, expired or not")
    func revokedSet() throws {
        try withFileStore { store, _ in
            for (index, jti) in ["x1", "x2", "x3", "x4"].enumerated() {
                try store.recordIssued(Fixtures.token(jti, issued: Double(index), lifetime: index.isMultiple(of: 2) ? 1 : 3600))
            }
            _ = try store.revoke(jti: "x1", at: Fixtures.t0.addingTimeInterval(5))
            _ = try store.revoke(jti: "x2", at: Fixtures.t0.addingTimeInterval(5))
            #expect(try store.revokedJTIs() == ["x1", "x2"])
        }
    }

    @Test("a revocation survives closing and reopening the file (a restart)")
    func survivesRestart() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/ztp.sqlite"
            let at = Fixtures.t0.addingTimeInterval(42.000_017)
            do {
                let store = try Store(path: path)
                try store.recordIssued(Fixtures.token("keep", issued: 0))
                try store.recordIssued(Fixtures.token("drop", issued: 1))
                #expect(try store.revoke(jti: "drop", at: at) != .unknown)
                try store.close()
                let error = #expect(throws: StoreError.self) { try store.revokedJTIs() }
                #expect(error?.code == .database)
            }
            let reopened = try Store(path: path)
            #expect(try reopened.revokedJTIs() == ["drop"])
            #expect(try reopened.token(jti: "drop")?.revokedAt == at)
            #expect(try reopened.token(jti: "keep")?.revokedAt == nil)
            guard case .alreadyRevoked = try reopened.revoke(jti: "drop", at: at.addingTimeInterval(1)) else {
                Issue.record("the reopened store forgot the revocation")
                return
            }
        }
    }

    @Test("a second store on the same file sees a revocation as soon as revoke returns")
    func visibleToOtherConnections() throws {
        try withFileStore { store, path in
            let other = try Store(path: path)
            try store.recordIssued(Fixtures.token("shared", issued: 0))
            #expect(try other.revokedJTIs().isEmpty)
            _ = try store.revoke(jti: "shared", at: Fixtures.t0)
            #expect(try other.revokedJTIs() == ["shared"])
            #expect(try other.revoke(jti: "shared", at: Fixtures.t0) != .unknown)
        }
    }
}
