import Foundation
import Logging
import ZTPTestSupport
import Testing
@testable import ZTPManagement
import ZTPStore

/// The audit log's handling of failed authentications, with an injected clock: no server.
@Suite("Audit log aggregation")
struct AuditLogTests {
    /// A wall clock the test moves by hand.
    final class ManualClock: Sendable {
        private let time = LockedBox(Date(timeIntervalSince1970: 1_800_000_000))
        var now: Date { time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { time.withLock { $0 += seconds } }
    }

    static func makeLog(store: Store, clock: ManualClock, flushInterval: TimeInterval = 3600) -> AuditLog {
        AuditLog(store: store, logger: Logger(label: "test"), flushInterval: flushInterval, now: { clock.now })
    }

    @Test("10,000 failures from one address within a minute are one row with count 10,000")
    func floodIsOneRow() throws {
        let store = try Store.inMemory()
        let clock = ManualClock()
        let log = Self.makeLog(store: store, clock: clock)
        for index in 0..<10_000 {
            log.recordAuthenticationFailure(from: "192.0.2.7", reason: index == 9_999 ? "TOKEN_EXPIRED token expired" : "AUTH_FAILED bad signature")
            if index % 2_500 == 0 { log.flush() }
            clock.advance(0.001)
        }
        log.flush()
        let page = try store.audit(limit: 10, offset: 0)
        #expect(page.total == 1)
        let row = try #require(page.items.first)
        #expect(row.count == 10_000)
        #expect(row.actor == "ztp")
        #expect(row.action == "auth.failed")
        #expect(row.detail == "TOKEN_EXPIRED token expired from 192.0.2.7", "the latest failure's reason")
        #expect(row.time == Date(timeIntervalSince1970: 1_800_000_000), "the first failure's time")
    }

    @Test("one row per source address and minute")
    func perAddressAndMinute() throws {
        let store = try Store.inMemory()
        let clock = ManualClock()
        let log = Self.makeLog(store: store, clock: clock)
        for _ in 0..<3 {
            for _ in 0..<5 {
                log.recordAuthenticationFailure(from: "192.0.2.1", reason: "AUTH_FAILED malformed token")
                log.recordAuthenticationFailure(from: "2001:db8::1", reason: "AUTH_FAILED malformed token")
            }
            clock.advance(60)
        }
        log.flush()
        let page = try store.audit(limit: 10, offset: 0)
        #expect(page.total == 6)
        #expect(page.items.allSatisfy { $0.count == 5 })
        #expect(Set(page.items.map(\.detail)) == ["AUTH_FAILED malformed token from 192.0.2.1",
                                                  "AUTH_FAILED malformed token from 2001:db8::1"])
    }

    @Test("between two writes at most maxPendingTallies sources are held; the rest are dropped, not queued")
    func pendingIsBounded() throws {
        let store = try Store.inMemory()
        let log = Self.makeLog(store: store, clock: ManualClock())
        let sources = AuditLog.maxPendingTallies + 500
        for index in 0..<sources {
            log.recordAuthenticationFailure(from: "10.\(index / 65_536).\(index / 256 % 256).\(index % 256)", reason: "AUTH_FAILED bad signature")
        }
        log.flush()
        #expect(try store.audit(limit: 0, offset: 0).total == AuditLog.maxPendingTallies)
        // After a write there is room again.
        log.recordAuthenticationFailure(from: "198.51.100.1", reason: "AUTH_FAILED bad signature")
        log.flush()
        #expect(try store.audit(limit: 0, offset: 0).total == AuditLog.maxPendingTallies + 1)
    }

    @Test("failures are written on their own after the flush interval, without a flush call")
    func writesOnItsOwn() async throws {
        let store = try Store.inMemory()
        let log = Self.makeLog(store: store, clock: ManualClock(), flushInterval: 0.05)
        log.recordAuthenticationFailure(from: "192.0.2.9", reason: "AUTH_FAILED bad signature")
        log.recordAuthenticationFailure(from: "192.0.2.9", reason: "AUTH_FAILED bad signature")
        let deadline = ContinuousClock.now + .seconds(10)
        while try store.audit(limit: 0, offset: 0).total == 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try store.audit(limit: 10, offset: 0).items.map(\.count) == [2])
    }
}
