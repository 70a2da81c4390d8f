import Foundation
import Testing
@testable import ZTPStore

@Suite("Store revocation")
struct StoreRevokeTests {
    @Test("revoking an active token stores revokedAt and returns the updated record", arguments: Backend.available)
    func revokesActive(backend: Backend) throws {
        try withStore(backend) { store in
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

    @Test("revoking twice reports alreadyRevoked and keeps the first revokedAt", arguments: Backend.available)
    func alreadyRevoked(backend: Backend) throws {
        try withStore(backend) { store in
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

    @Test("revoking an unknown jti reports unknown and stores nothing", arguments: Backend.available)
    func unknown(backend: Backend) throws {
        try withStore(backend) { store in
            try store.recordIssued(Fixtures.token("known", issued: 0))
            #expect(try store.revoke(jti: "nope", at: Fixtures.t0) == .unknown)
            #expect(try store.token(jti: "nope") == nil)
            #expect(try store.revokedJTIs().isEmpty)
        }
    }

    @Test("an expired token can still be revoked", arguments: Backend.available)
    func revokesExpired(backend: Backend) throws {
        try withStore(backend) { store in
            try store.recordIssued(Fixtures.token("old", issued: 0, lifetime: 1))
            let outcome = try store.revoke(jti: "old", at: Fixtures.t0.addingTimeInterval(100))
            guard case .revoked(let record) = outcome else {
                Issue.record("expected .revoked, got \(outcome)")
                return
            }
            #expect(record.state(at: Fixtures.t0.addingTimeInterval(100)) == .revoked)
        }
    }

    @Test("revokedJTIs lists exactly the revoked tokens, expired or not", arguments: Backend.available)
    func revokedSet(backend: Backend) throws {
        try withStore(backend) { store in
            for (index, jti) in ["x1", "x2", "x3", "x4"].enumerated() {
                try store.recordIssued(Fixtures.token(jti, issued: Double(index), lifetime: index.isMultiple(of: 2) ? 1 : 3600))
            }
            _ = try store.revoke(jti: "x1", at: Fixtures.t0.addingTimeInterval(5))
            _ = try store.revoke(jti: "x2", at: Fixtures.t0.addingTimeInterval(5))
            #expect(try store.revokedJTIs() == ["x1", "x2"])
        }
    }

    @Test("a revocation survives closing and reopening the store (a restart)", arguments: Backend.available)
    func survivesRestart(backend: Backend) throws {
        try withDatabase(backend) { database in
            let at = Fixtures.t0.addingTimeInterval(42.000_017)
            do {
                let store = try database.open()
                try store.recordIssued(Fixtures.token("keep", issued: 0))
                try store.recordIssued(Fixtures.token("drop", issued: 1))
                #expect(try store.revoke(jti: "drop", at: at) != .unknown)
                try store.close()
                let error = #expect(throws: StoreError.self) { try store.revokedJTIs() }
                #expect(error?.code == .database)
            }
            let reopened = try database.open()
            #expect(try reopened.revokedJTIs() == ["drop"])
            #expect(try reopened.token(jti: "drop")?.revokedAt == at)
            #expect(try reopened.token(jti: "keep")?.revokedAt == nil)
            guard case .alreadyRevoked = try reopened.revoke(jti: "drop", at: at.addingTimeInterval(1)) else {
                Issue.record("the reopened store forgot the revocation")
                return
            }
        }
    }

    @Test("a second store on the same database sees a revocation as soon as revoke returns", arguments: Backend.available)
    func visibleToOtherConnections(backend: Backend) throws {
        try withDatabase(backend) { database in
            let store = try database.open()
            let other = try database.open()
            try store.recordIssued(Fixtures.token("shared", issued: 0))
            #expect(try other.revokedJTIs().isEmpty)
            _ = try store.revoke(jti: "shared", at: Fixtures.t0)
            #expect(try other.revokedJTIs() == ["shared"])
            #expect(try other.revoke(jti: "shared", at: Fixtures.t0) != .unknown)
        }
    }
}
