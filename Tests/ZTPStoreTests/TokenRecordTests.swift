import Foundation
import Testing
@testable import ZTPStore

@Suite("TokenRecord")
struct TokenRecordTests {
    let record = Fixtures.token("jti-1", issued: 0, lifetime: 100)

    @Test("is active before expiry, expired from the expiry instant on")
    func activeThenExpired() {
        #expect(record.state(at: record.issuedAt) == .active)
        #expect(record.state(at: record.expiresAt.addingTimeInterval(-0.001)) == .active)
        #expect(record.state(at: record.expiresAt) == .expired)
        #expect(record.state(at: record.expiresAt.addingTimeInterval(1)) == .expired)
    }

    @Test("revocation wins over both active and expired")
    func revokedWins() {
        var revoked = record
        revoked.revokedAt = record.issuedAt.addingTimeInterval(10)
        #expect(revoked.state(at: record.issuedAt) == .revoked)
        #expect(revoked.state(at: record.expiresAt.addingTimeInterval(1)) == .revoked)
    }

    @Test("JSON round trip is exact, sub-millisecond dates included")
    func codableRoundTrip() throws {
        let now = Date()
        let original = TokenRecord(
            jti: "jti-json", clientID: "c", role: "admin",
            issuedAt: now, expiresAt: now.addingTimeInterval(0.000_3), revokedAt: Fixtures.t0)
        let decoded = try JSONDecoder().decode(TokenRecord.self, from: JSONEncoder().encode(original))
        #expect(decoded == original)

        let event = AuditEvent(id: 7, time: now, actor: "cli", action: "token.revoked", detail: "jti-json")
        #expect(try JSONDecoder().decode(AuditEvent.self, from: JSONEncoder().encode(event)) == event)
    }
}
