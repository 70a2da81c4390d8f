import Foundation
import Testing
@testable import ZTPStore

@Suite("Store audit log")
struct StoreAuditTests {
    @Test("appendAudit returns the stored event with increasing ids", arguments: Backend.available)
    func appendReturnsEvent(backend: Backend) throws {
        try withStore(backend) { store in
            let at = Date()
            let first = try store.appendAudit(actor: "admin-api", action: "token.issued", detail: "jti=a", at: at)
            let second = try store.appendAudit(actor: "cli", action: "token.revoked", detail: "jti=a", at: at)
            #expect(first.actor == "admin-api")
            #expect(first.action == "token.issued")
            #expect(first.detail == "jti=a")
            #expect(first.time == at)
            #expect(second.id > first.id)
            #expect(try store.audit(limit: 10, offset: 0).items == [second, first])
        }
    }

    @Test("the log lists newest time first, even when appended out of order", arguments: Backend.available)
    func newestFirst(backend: Backend) throws {
        try withStore(backend) { store in
            let late = try store.appendAudit(actor: "ztp", action: "auth.failed", detail: "late", at: Fixtures.t0.addingTimeInterval(30))
            let early = try store.appendAudit(actor: "ztp", action: "auth.failed", detail: "early", at: Fixtures.t0)
            let middle = try store.appendAudit(actor: "ztp", action: "session.terminated", detail: "middle", at: Fixtures.t0.addingTimeInterval(10))
            #expect(try store.audit(limit: 10, offset: 0).items == [late, middle, early])
        }
    }

    @Test("pages keep the total and slice newest first", arguments: Backend.available)
    func paging(backend: Backend) throws {
        try withStore(backend) { store in
            let events = try (0..<5).map { index in
                try store.appendAudit(actor: "cli", action: "token.issued", detail: "\(index)", at: Fixtures.t0.addingTimeInterval(Double(index)))
            }
            let newestFirst = Array(events.reversed())
            let pages = try [0, 2, 4, 6].map { try store.audit(limit: 2, offset: $0) }
            #expect(pages.map(\.total) == [5, 5, 5, 5])
            #expect(pages.map(\.items) == [Array(newestFirst[0..<2]), Array(newestFirst[2..<4]), [newestFirst[4]], []])
        }
    }

    @Test("an empty log has total 0, and a negative offset is rejected", arguments: Backend.available)
    func emptyAndInvalid(backend: Backend) throws {
        try withStore(backend) { store throws in
            #expect(try store.audit(limit: 10, offset: 0) == Page(total: 0, items: []))
            let error = #expect(throws: StoreError.self) { try store.audit(limit: 10, offset: -3) }
            #expect(error?.code == .invalidPage)
        }
    }
}
