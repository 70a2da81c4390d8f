import Foundation
import Logging
import ServiceLifecycle
import ZTPServer
import ZTPStore

/// Publishes `token.expired` for each unrevoked token whose expiry passes while the server
/// runs (tokens that expired before it started are not announced).
///
/// Every `interval` it asks the store for the tokens that expired since the last one it
/// announced, at most `batchLimit` per query; a full batch is followed by another at once,
/// so a burst of expiries is announced in bounded steps, never in one unbounded read.
public final class TokenExpiryWatcher: Service, @unchecked Sendable {
    public static let defaultBatchLimit = 500

    private let store: Store
    private let events: EventHub
    private let logger: Logger
    private let interval: Duration
    private let batchLimit: Int
    private let now: @Sendable () -> Date
    /// The last token announced (or the start instant); read and moved only under `lock`
    /// (an NSLock, whose locking ThreadSanitizer follows), which makes the class Sendable.
    private var cursor: Store.ExpiryCursor
    private let lock = NSLock()

    public init(store: Store, events: EventHub, logger: Logger = Logger(label: "ztp.tokens"),
                interval: Duration = .seconds(5), batchLimit: Int = TokenExpiryWatcher.defaultBatchLimit,
                now: @escaping @Sendable () -> Date = { Date() }) {
        precondition(batchLimit >= 1)
        self.store = store
        self.events = events
        self.logger = logger
        self.interval = interval
        self.batchLimit = batchLimit
        self.now = now
        // U+10FFFF sorts after every jti, so tokens expiring exactly at the start are not announced.
        cursor = Store.ExpiryCursor(expiresAt: now(), jti: "\u{10FFFF}")
    }

    /// Announces the tokens that expired since the last check, up to `now`; returns how many.
    /// Tokens expiring exactly at the start instant belong to the time before the watcher.
    @discardableResult
    public func check() throws -> Int {
        let upTo = now()
        // One checker at a time (the lock is held across the query), so no token is announced twice.
        return try lock.withLock {
            var announced = 0
            while true {
                let batch = try store.tokensExpiring(after: cursor, upTo: upTo, limit: batchLimit)
                for token in batch {
                    events.publish(.tokenExpired, clientID: token.clientID, role: token.role, jti: token.jti)
                }
                announced += batch.count
                if let last = batch.last { cursor = Store.ExpiryCursor(expiresAt: last.expiresAt, jti: last.jti) }
                if batch.count < batchLimit { return announced }
            }
        }
    }

    /// Checks every `interval` until graceful shutdown or cancellation. A failed check is
    /// logged and retried at the next interval (from the same place, so nothing is skipped).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: self.interval)
                } catch {
                    return
                }
                do {
                    try self.check()
                } catch {
                    self.logger.warning("token expiry check failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
