import Foundation
import Testing
@testable import ZTPStore

@Suite("Store token listing")
struct StoreTokenListingTests {
    /// Evaluated at `now`: a1 expired, a2 active, a3 revoked, b1 active, b2 revoked after expiring.
    static let now = Fixtures.t0.addingTimeInterval(150)

    static func seed(_ store: Store) throws {
        try store.recordIssued(Fixtures.token("a1", client: "client-a", issued: 0, lifetime: 100))
        try store.recordIssued(Fixtures.token("a2", client: "client-a", issued: 10, lifetime: 1000))
        try store.recordIssued(Fixtures.token("a3", client: "client-a", issued: 20, lifetime: 1000))
        try store.recordIssued(Fixtures.token("b1", client: "client-b", role: "admin", issued: 30, lifetime: 1000))
        try store.recordIssued(Fixtures.token("b2", client: "client-b", issued: 40, lifetime: 10))
        #expect(try store.revoke(jti: "a3", at: Fixtures.t0.addingTimeInterval(25)) != .unknown)
        #expect(try store.revoke(jti: "b2", at: Fixtures.t0.addingTimeInterval(60)) != .unknown)
    }

    private func jtis(_ page: Page<TokenRecord>) -> [String] { page.items.map(\.jti) }

    @Test("a recorded token reads back exactly equal, sub-millisecond dates included", arguments: Backend.available)
    func exactRoundTrip(backend: Backend) throws {
        try withStore(backend) { store in
            let now = Date()
            let record = TokenRecord(
                jti: "exact", clientID: "client-x", role: "device",
                issuedAt: now, expiresAt: now.addingTimeInterval(3600.000_123),
                revokedAt: now.addingTimeInterval(0.000_7))
            try store.recordIssued(record)
            #expect(try store.token(jti: "exact") == record)
            #expect(try store.token(jti: "missing") == nil)
        }
    }

    @Test("lists all tokens newest issued first, with the total", arguments: Backend.available)
    func listsAll(backend: Backend) throws {
        try withStore(backend) { store in
            try Self.seed(store)
            let page = try store.tokens(clientID: nil, state: nil, now: Self.now, limit: 100, offset: 0)
            #expect(page.total == 5)
            #expect(jtis(page) == ["b2", "b1", "a3", "a2", "a1"])
            #expect(page.items[1] == Fixtures.token("b1", client: "client-b", role: "admin", issued: 30, lifetime: 1000))
        }
    }

    @Test("filters by client", arguments: Backend.available)
    func filtersByClient(backend: Backend) throws {
        try withStore(backend) { store in
            try Self.seed(store)
            let a = try store.tokens(clientID: "client-a", state: nil, now: Self.now, limit: 100, offset: 0)
            #expect(a.total == 3)
            #expect(jtis(a) == ["a3", "a2", "a1"])
            let none = try store.tokens(clientID: "client-c", state: nil, now: Self.now, limit: 100, offset: 0)
            #expect(none.total == 0)
            #expect(none.items.isEmpty)
        }
    }

    @Test("filters by each state, agreeing with TokenRecord.state(at:)", arguments: Backend.available, [
        (TokenState.active, ["b1", "a2"]),
        (TokenState.expired, ["a1"]),
        (TokenState.revoked, ["b2", "a3"]),
    ])
    func filtersByState(backend: Backend, filter: (state: TokenState, expected: [String])) throws {
        let (state, expected) = filter
        try withStore(backend) { store in
            try Self.seed(store)
            let page = try store.tokens(clientID: nil, state: state, now: Self.now, limit: 100, offset: 0)
            #expect(page.total == expected.count)
            #expect(jtis(page) == expected)
            #expect(page.items.allSatisfy { $0.state(at: Self.now) == state })
        }
    }

    @Test("combines the client and state filters", arguments: Backend.available)
    func filtersByClientAndState(backend: Backend) throws {
        try withStore(backend) { store in
            try Self.seed(store)
            let active = try store.tokens(clientID: "client-a", state: .active, now: Self.now, limit: 100, offset: 0)
            #expect(jtis(active) == ["a2"])
            #expect(active.total == 1)
            let expired = try store.tokens(clientID: "client-b", state: .expired, now: Self.now, limit: 100, offset: 0)
            #expect(expired.total == 0)
        }
    }

    @Test("a token is expired from the very instant of expiresAt", arguments: Backend.available)
    func expiryBoundary(backend: Backend) throws {
        try withStore(backend) { store in
            let record = Fixtures.token("edge", issued: 0, lifetime: 60)
            try store.recordIssued(record)
            let atExpiry = try store.tokens(clientID: nil, state: .expired, now: record.expiresAt, limit: 10, offset: 0)
            #expect(jtis(atExpiry) == ["edge"])
            let activeAtExpiry = try store.tokens(clientID: nil, state: .active, now: record.expiresAt, limit: 10, offset: 0)
            #expect(activeAtExpiry.total == 0)
            let before = record.expiresAt.addingTimeInterval(-0.001)
            let justBefore = try store.tokens(clientID: nil, state: .active, now: before, limit: 10, offset: 0)
            #expect(jtis(justBefore) == ["edge"])
        }
    }

    @Test("pages keep the total and slice the newest-first order", arguments: Backend.available)
    func paging(backend: Backend) throws {
        try withStore(backend) { store in
            try Self.seed(store)
            let slices = try [0, 2, 4, 5].map { offset in
                try store.tokens(clientID: nil, state: nil, now: Self.now, limit: 2, offset: offset)
            }
            #expect(slices.map(\.total) == [5, 5, 5, 5])
            #expect(slices.map(jtis) == [["b2", "b1"], ["a3", "a2"], ["a1"], []])
            let countOnly = try store.tokens(clientID: "client-a", state: nil, now: Self.now, limit: 0, offset: 0)
            #expect(countOnly.total == 3)
            #expect(countOnly.items.isEmpty)
        }
    }

    @Test("tokens issued in the same instant list the later-recorded first", arguments: Backend.available)
    func sameInstantOrder(backend: Backend) throws {
        try withStore(backend) { store in
            for jti in ["first", "second", "third"] {
                try store.recordIssued(Fixtures.token(jti, issued: 5))
            }
            let page = try store.tokens(clientID: nil, state: nil, now: Fixtures.t0, limit: 10, offset: 0)
            #expect(jtis(page) == ["third", "second", "first"])
        }
    }

    @Test("a negative limit or offset is rejected", arguments: Backend.available)
    func invalidPage(backend: Backend) throws {
        try withStore(backend) { store in
            let error = #expect(throws: StoreError.self) {
                try store.tokens(clientID: nil, state: nil, now: Fixtures.t0, limit: -1, offset: 0)
            }
            #expect(error?.code == .invalidPage)
            #expect(throws: StoreError.self) {
                try store.tokens(clientID: nil, state: nil, now: Fixtures.t0, limit: 10, offset: -1)
            }
        }
    }

    @Test("recording a jti twice fails and keeps the first record", arguments: Backend.available)
    func duplicateJTI(backend: Backend) throws {
        try withStore(backend) { store in
            let original = Fixtures.token("dup", client: "client-a", issued: 0)
            try store.recordIssued(original)
            let error = #expect(throws: StoreError.self) {
                try store.recordIssued(Fixtures.token("dup", client: "client-b", issued: 99))
            }
            #expect(error?.code == .duplicateToken)
            #expect(try store.token(jti: "dup") == original)
        }
    }

    @Test("the in-memory store behaves like the file store")
    func inMemory() throws {
        let store = try Store.inMemory()
        try Self.seed(store)
        let page = try store.tokens(clientID: nil, state: .revoked, now: Self.now, limit: 100, offset: 0)
        #expect(jtis(page) == ["b2", "a3"])
        #expect(try store.revokedJTIs() == ["a3", "b2"])
    }

    @Test("concurrent writers from plain threads lose nothing", arguments: Backend.available)
    func concurrentWriters(backend: Backend) throws {
        try withStore(backend) { store throws in
            DispatchQueue.concurrentPerform(iterations: 200) { index in
                // A failure here shows up as a missing row in the count below.
                try? store.recordIssued(Fixtures.token("t\(index)", client: "c\(index % 4)", issued: Double(index)))
                _ = try? store.appendAudit(actor: "ztp", action: "token.issued", detail: "t\(index)", at: Fixtures.t0)
            }
            #expect(try store.tokens(clientID: nil, state: nil, now: Fixtures.t0, limit: 0, offset: 0).total == 200)
            #expect(try store.tokens(clientID: "c3", state: nil, now: Fixtures.t0, limit: 0, offset: 0).total == 50)
            #expect(try store.audit(limit: 0, offset: 0).total == 200)
        }
    }
}
