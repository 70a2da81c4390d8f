import Dispatch
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import ZTPServer
import ZTPStore

/// The audit log as the server writes it: the API's own actions at once, failed
/// authentications counted per source address and minute and written in batches.
///
/// A peer can fail authentication as fast as it can connect; were each failure an fsynced row,
/// a flood would cost one disk sync per handshake and one row per attempt. Here a failure costs
/// a dictionary update on the caller's thread (an event loop, which must not wait on SQLite).
/// Tallies are written off that thread, at most once per `flushInterval`, all in one
/// transaction: one row per address and minute, its `count` growing as more come. At most
/// `maxPendingTallies` distinct addresses wait between two writes; failures past that are
/// dropped and counted (`ztp_audit_events_dropped_total`), so memory stays bounded too.
public final class AuditLog: Sendable {
    /// Distinct (address, minute) groups held between two writes.
    public static let maxPendingTallies = 1024
    public static let authenticationFailed = "auth.failed"

    private let store: Store
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let flushInterval: TimeInterval
    private let queue = DispatchQueue(label: "ztp.audit")
    private let pending = NIOLockedValueBox(Pending())
    /// Told of each tally as it is written (`auth.failed`, with its count).
    private let events: EventHub?

    /// Failures not yet written, by tally key.
    private struct Pending {
        var tallies: [String: AuditTally] = [:]
        /// The source address of each tally, by tally key.
        var addresses: [String: String] = [:]
        var flushScheduled = false
        var dropped = 0
    }

    /// - Parameters:
    ///   - flushInterval: how long failures gather before they are written (seconds).
    ///   - now: the wall clock, which also decides each failure's minute.
    ///   - events: where each written tally is published as an `auth.failed` event.
    public init(store: Store, logger: Logger, flushInterval: TimeInterval = 1, events: EventHub? = nil,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.events = events
        self.store = store
        self.logger = logger
        self.flushInterval = flushInterval
        self.now = now
    }

    /// Counts one failed authentication from `address` (an IP address, without port); `reason`
    /// says which check failed, never the token. Returns at once; never blocks on the store.
    public func recordAuthenticationFailure(from address: String, reason: String) {
        let at = now()
        let minute = Int64((at.timeIntervalSince1970 / 60).rounded(.down))
        let key = "\(Self.authenticationFailed) \(address) \(minute)"
        let detail = "\(reason) from \(address)"
        enum Outcome { case merged, added(scheduleFlush: Bool), dropped }
        let outcome: Outcome = pending.withLockedValue { pending in
            if pending.tallies[key] != nil {
                pending.tallies[key]!.count += 1
                pending.tallies[key]!.detail = detail
                return .merged
            }
            guard pending.tallies.count < Self.maxPendingTallies else {
                pending.dropped += 1
                return .dropped
            }
            pending.tallies[key] = AuditTally(key: key, actor: "ztp", action: Self.authenticationFailed,
                                              time: at, detail: detail, count: 1)
            pending.addresses[key] = address
            let scheduleFlush = !pending.flushScheduled
            pending.flushScheduled = true
            return .added(scheduleFlush: scheduleFlush)
        }
        switch outcome {
        case .merged:
            Counter(label: "ztp_audit_events_merged_total").increment()
        case .dropped:
            Counter(label: "ztp_audit_events_dropped_total").increment()
        case .added(let scheduleFlush):
            if scheduleFlush {
                queue.asyncAfter(deadline: .now() + flushInterval) { self.writePending() }
            }
        }
    }

    /// Writes the failures gathered so far and returns once they are stored; for shutdown and tests.
    public func flush() {
        queue.sync { writePending() }
    }

    /// Synchronous write, for the API's own actions (they answer after it is stored).
    public func recordNow(actor: String, action: String, detail: String) throws {
        try store.appendAudit(actor: actor, action: action, detail: detail, at: now())
    }

    /// Runs on `queue` only, so batches reach the store in the order they were taken.
    private func writePending() {
        let (tallies, addresses, dropped) = pending.withLockedValue { pending in
            let taken = (Array(pending.tallies.values), pending.addresses, pending.dropped)
            pending = Pending()
            return taken
        }
        if dropped > 0 {
            logger.warning("audit: too many sources failing authentication at once, events dropped",
                           metadata: ["dropped": "\(dropped)", "limit": "\(Self.maxPendingTallies)"])
        }
        guard !tallies.isEmpty else { return }
        let ordered = tallies.sorted { $0.time < $1.time }
        // Published whether or not the write below succeeds: the failures happened either way.
        if let events {
            for tally in ordered {
                events.publish(.authFailed, remoteAddress: addresses[tally.key], count: tally.count, detail: tally.detail)
            }
        }
        do {
            let outcome = try store.addAuditTallies(ordered)
            // A tally whose key already had a row did not need one of its own either.
            let merged = tallies.count - outcome.rowsCreated
            if merged > 0 { Counter(label: "ztp_audit_events_merged_total").increment(by: merged) }
        } catch {
            logger.error("audit write failed", metadata: ["error": "\(error)", "events": "\(tallies.reduce(0) { $0 + $1.count })"])
        }
    }
}
