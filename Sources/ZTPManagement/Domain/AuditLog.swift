import Dispatch
import Foundation
import Logging
import Synchronization
import ZTPStore

/// Writes audit events off the caller's thread (event loops must not wait on SQLite), with a
/// bound on events waiting: a flood of failed handshakes cannot grow memory; past the bound
/// events are dropped and counted in the log.
public final class AuditLog: Sendable {
    private let store: Store
    private let logger: Logger
    private let queue = DispatchQueue(label: "ztp.audit")
    private let waiting = Mutex(0)
    static let maxWaiting = 1024

    public init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func record(actor: String, action: String, detail: String) {
        let admitted = waiting.withLock { count in
            guard count < AuditLog.maxWaiting else { return false }
            count += 1
            return true
        }
        guard admitted else {
            logger.warning("audit queue full, event dropped", metadata: ["action": "\(action)"])
            return
        }
        let at = Date()
        queue.async {
            do {
                try self.store.appendAudit(actor: actor, action: action, detail: detail, at: at)
            } catch {
                self.logger.error("audit write failed", metadata: ["error": "\(error)"])
            }
            self.waiting.withLock { $0 -= 1 }
        }
    }

    /// Synchronous write, for the API's own actions (they answer after it is stored).
    public func recordNow(actor: String, action: String, detail: String) throws {
        try store.appendAudit(actor: actor, action: action, detail: detail, at: Date())
    }
}
