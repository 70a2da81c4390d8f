import Foundation
import Testing
@testable import ZTPStore

@Suite("Store pruning")
struct StorePruneTests {
    @Test("prune deletes only tokens expired before the cutoff and audit rows before the audit cutoff", arguments: Backend.available)
    func prunesOnlyOldRows(backend: Backend) throws {
        try withStore(backend) { store in
            // Expiries: t0+10, t0+20 (revoked), t0+100 (exactly the cutoff), t0+200 (revoked).
            try store.recordIssued(Fixtures.token("e10", issued: 0, lifetime: 10))
            try store.recordIssued(Fixtures.token("e20", issued: 0, lifetime: 20))
            try store.recordIssued(Fixtures.token("e100", issued: 0, lifetime: 100))
            try store.recordIssued(Fixtures.token("e200", issued: 0, lifetime: 200))
            _ = try store.revoke(jti: "e20", at: Fixtures.t0.addingTimeInterval(1))
            _ = try store.revoke(jti: "e200", at: Fixtures.t0.addingTimeInterval(1))
            let old = try store.appendAudit(actor: "cli", action: "a", detail: "old", at: Fixtures.t0)
            let edge = try store.appendAudit(actor: "cli", action: "a", detail: "edge", at: Fixtures.t0.addingTimeInterval(5))
            let new = try store.appendAudit(actor: "cli", action: "a", detail: "new", at: Fixtures.t0.addingTimeInterval(10))

            let deleted = try store.prune(
                tokensExpiredBefore: Fixtures.t0.addingTimeInterval(100),
                auditBefore: Fixtures.t0.addingTimeInterval(5))

            #expect(deleted == 3)
            let left = try store.tokens(clientID: nil, state: nil, now: Fixtures.t0, limit: 10, offset: 0)
            #expect(Set(left.items.map(\.jti)) == ["e100", "e200"])
            #expect(try store.revokedJTIs() == ["e200"])
            #expect(try store.audit(limit: 10, offset: 0).items == [new, edge])
            #expect(!(try store.audit(limit: 10, offset: 0).items.contains(old)))
        }
    }

    @Test("pruning again with the same cutoffs deletes nothing", arguments: Backend.available)
    func pruneIsIdempotent(backend: Backend) throws {
        try withStore(backend) { store in
            try store.recordIssued(Fixtures.token("gone", issued: 0, lifetime: 1))
            try store.appendAudit(actor: "cli", action: "a", detail: "", at: Fixtures.t0)
            let cutoff = Fixtures.t0.addingTimeInterval(60)
            #expect(try store.prune(tokensExpiredBefore: cutoff, auditBefore: cutoff) == 2)
            #expect(try store.prune(tokensExpiredBefore: cutoff, auditBefore: cutoff) == 0)
        }
    }

    @Test("audit ids keep increasing after the newest rows are pruned", arguments: Backend.available)
    func auditIDsNotReused(backend: Backend) throws {
        try withStore(backend) { store in
            let first = try store.appendAudit(actor: "cli", action: "a", detail: "1", at: Fixtures.t0)
            let second = try store.appendAudit(actor: "cli", action: "a", detail: "2", at: Fixtures.t0)
            try store.prune(tokensExpiredBefore: Fixtures.t0, auditBefore: Fixtures.t0.addingTimeInterval(1))
            let third = try store.appendAudit(actor: "cli", action: "a", detail: "3", at: Fixtures.t0)
            #expect(second.id > first.id)
            #expect(third.id > second.id)
        }
    }
}
