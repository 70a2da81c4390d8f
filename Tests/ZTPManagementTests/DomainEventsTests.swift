import Foundation
import Logging
import Testing
import ZTPCore
@testable import ZTPManagement
import ZTPServer
import ZTPStore

/// Token and authentication events from the management domain: issue, expiry, failed
/// authentications as the audit log writes them.
@Suite("Domain events")
struct DomainEventsTests {
    typealias ManualClock = AuditLogTests.ManualClock

    @Test("each written auth-failure tally is one auth.failed event with its count and address")
    func authFailedTallies() throws {
        let store = try Store.inMemory()
        let clock = ManualClock()
        let hub = EventHub()
        let log = AuditLog(store: store, logger: Logger(label: "test"), flushInterval: 3600, events: hub, now: { clock.now })
        for _ in 0..<5 { log.recordAuthenticationFailure(from: "192.0.2.7", reason: "AUTH_FAILED bad signature") }
        log.recordAuthenticationFailure(from: "198.51.100.1", reason: "TOKEN_EXPIRED token expired")
        #expect(hub.recentEvents.isEmpty)
        log.flush()
        let events = hub.recentEvents.sorted { ($0.remoteAddress ?? "") < ($1.remoteAddress ?? "") }
        #expect(events.map(\.type) == [.authFailed, .authFailed])
        #expect(events.map(\.remoteAddress) == ["192.0.2.7", "198.51.100.1"])
        #expect(events.map(\.count) == [5, 1])
        #expect(events.first?.detail == "AUTH_FAILED bad signature from 192.0.2.7")
        log.flush()
        #expect(hub.recentEvents.count == 2)
    }

    @Test("issuing a token publishes token.issued with its jti, client and role, never the token")
    func tokenIssued() throws {
        let store = try Store.inMemory()
        let hub = EventHub()
        let issuer = TokenIssuer(secret: SecretBytes(SecureRandom.bytes(32)), store: store, policy: .default, events: hub)
        let role = try #require(Policy.default.roles.keys.sorted().first)
        let issued = try issuer.issue(clientID: "alice", role: role, ttl: 60, actor: "admin")
        let event = try #require(hub.recentEvents.last)
        #expect(event.type == .tokenIssued)
        #expect(event.jti == issued.record.jti)
        #expect(event.clientID == "alice" && event.role == role)
        let fields = [event.sessionID, event.clientID, event.role, event.remoteAddress, event.streamKind, event.code,
                      event.reason, event.jti, event.detail].compactMap { $0 }
        #expect(!fields.contains { $0.contains(issued.token) })
    }

    @Test("the watcher announces each unrevoked token once, when its expiry passes")
    func tokenExpired() throws {
        let store = try Store.inMemory()
        let clock = ManualClock()
        let hub = EventHub()
        let start = clock.now
        func token(_ jti: String, expiresIn seconds: TimeInterval) throws {
            try store.recordIssued(TokenRecord(jti: jti, clientID: "client-\(jti)", role: "user",
                                               issuedAt: start.addingTimeInterval(-100),
                                               expiresAt: start.addingTimeInterval(seconds)))
        }
        try token("before", expiresIn: -10)
        try token("at-start", expiresIn: 0)
        try token("soon", expiresIn: 5)
        try token("revoked", expiresIn: 6)
        try token("later", expiresIn: 30)
        for index in 0..<7 { try token("burst-\(index)", expiresIn: 20) }
        _ = try store.revoke(jti: "revoked", at: start)

        let watcher = TokenExpiryWatcher(store: store, events: hub, batchLimit: 3, now: { clock.now })
        #expect(try watcher.check() == 0)
        clock.advance(10)
        #expect(try watcher.check() == 1)
        #expect(hub.recentEvents.map(\.jti) == ["soon"])
        #expect(hub.recentEvents.first?.type == .tokenExpired)
        #expect(hub.recentEvents.first?.clientID == "client-soon")
        clock.advance(10)
        // Seven tokens share an instant: three batches of at most three, none twice.
        #expect(try watcher.check() == 7)
        clock.advance(100)
        #expect(try watcher.check() == 1)
        #expect(try watcher.check() == 0)
        #expect(hub.recentEvents.compactMap(\.jti) == ["soon"] + (0..<7).map { "burst-\($0)" } + ["later"])
    }
}
