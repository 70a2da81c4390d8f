import Foundation
import Logging
import Metrics
import ServiceLifecycle
import ZTPServer
import ZTPStore

/// Keeps this node's revocation list in step with the other nodes of a fleet that shares one
/// PostgreSQL database.
///
/// Each revocation is committed with the next sequence number and announced with NOTIFY
/// (`Store.revoke`). This service listens (`Store.watchRevocations`), and on each notice, and
/// at least every `pollInterval`, reads the revocations after the last number it applied: each
/// token goes into the list (new handshakes with it are refused) and its live sessions here
/// are closed with TOKEN_REVOKED. Reading by number instead of trusting notices is what makes
/// a lost notice (a broken connection, PostgreSQL restarting) cost a delay, never a missed
/// revocation. Each successful read marks the list synchronised; while reads fail, sessions go
/// on, and once the list is older than its `maxStaleness` new handshakes are refused and
/// `/readyz` answers 503, until a read succeeds again (fail closed).
///
/// The loop runs on a thread of its own: the store's calls block, and a database that hangs
/// must not hold a thread of Swift's cooperative pool.
public final class RevocationSync: Service, @unchecked Sendable {
    public static let pollInterval: TimeInterval = 1
    static let batchLimit = 1000

    private let store: Store
    private let services: ServerServices
    private let logger: Logger
    /// Guards `noticed` and `stopping`.
    private let condition = NSCondition()
    private var noticed = false
    private var stopping = false
    /// The last revocation applied. Read and written by one caller at a time: the loop's
    /// thread once it runs (tests call `catchUp` before any loop).
    private var lastSequence: Int64
    private var failing = false
    private var reportedStale = false

    private let applied = Counter(label: "ztp_fleet_revocations_applied_total")
    private let failures = Counter(label: "ztp_fleet_revocation_sync_failures_total")
    private let age = Gauge(label: "ztp_fleet_revocation_list_age_seconds")

    /// - Parameter lastSequence: the snapshot's number the list was filled from at start.
    public init(store: Store, services: ServerServices, after lastSequence: Int64, logger: Logger) {
        self.store = store
        self.services = services
        self.lastSequence = lastSequence
        self.logger = logger
    }

    /// Applies every revocation committed after the last one applied; returns how many tokens
    /// were not in the list yet. Marks the list synchronised as of the moment it began.
    @discardableResult
    public func catchUp() throws -> Int {
        let startedAt = monotonicNow()
        var new = 0
        while true {
            let batch = try store.revocations(after: lastSequence, limit: Self.batchLimit)
            for revocation in batch {
                if apply(revocation.jti) { new += 1 }
                lastSequence = revocation.sequence
            }
            if batch.count < Self.batchLimit { break }
        }
        services.revocations.markSynchronised(startedAt: startedAt)
        return new
    }

    /// A notice from the database: catch up now rather than at the next poll.
    func notice() {
        condition.withLock {
            noticed = true
            condition.signal()
        }
    }

    private func stop() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    public func run() async throws {
        let watch = store.watchRevocations { [weak self] in self?.notice() }
        defer { watch?.stop() }
        await runOnDedicatedThread(named: "ztp-revocation-sync", { self.loop() }, stop: { self.stop() })
    }

    private func loop() {
        while true {
            do {
                let new = try catchUp()
                if failing {
                    failing = false
                    reportedStale = false
                    logger.notice("revocations caught up with the database again")
                }
                if new > 0 { logger.info("revocations made on other nodes applied", metadata: ["count": "\(new)"]) }
            } catch {
                failures.increment()
                if !failing {
                    failing = true
                    logger.warning("cannot read revocations from the database; sessions go on", metadata: [
                        "error": "\(error)",
                        "refusing_handshakes_after_seconds": "\(services.revocations.maxStaleness ?? 0)",
                    ])
                }
                if services.revocations.isStale, !reportedStale {
                    reportedStale = true
                    logger.error("the revocation list is stale: new handshakes are refused until the database is back")
                }
            }
            age.record(services.revocations.age)
            let done: Bool = condition.withLock {
                if !noticed, !stopping { _ = condition.wait(until: Date().addingTimeInterval(Self.pollInterval)) }
                noticed = false
                return stopping
            }
            if done { return }
        }
    }

    /// A token newly in the list: sessions with it end here too, and subscribers hear of it.
    private func apply(_ jti: String) -> Bool {
        let new = services.revocations.insert(jti)
        for session in services.registry.sessions(tokenID: jti) {
            _ = session.close(code: .tokenRevoked, reason: "token revoked")
        }
        if new {
            applied.increment()
            services.events.publish(.tokenRevoked, jti: jti, detail: "learned from the database")
        }
        return new
    }
}
