import Foundation
import Logging
import Metrics
import ServiceLifecycle
import ZTPServer
import ZTPStore

/// This node's presence in the fleet: registered at start, a heartbeat every
/// `FleetView.heartbeatInterval`, its live sessions published when the set changes (and
/// every `sessionsRefresh` for their counters), the fleet view refreshed after each beat, and
/// the node removed at a graceful stop so the others see it gone at once.
///
/// A thread of its own, like `RevocationSync`: the store's calls block.
public final class NodeHeartbeat: Service, @unchecked Sendable {
    /// Counters of sessions that did not come or go are published this often at most.
    static let sessionsRefresh: TimeInterval = 10
    /// Nodes silent this long are forgotten (until then they are listed as gone).
    static let forgetAfter: TimeInterval = 3600

    private let store: Store
    private let services: ServerServices
    private let node: NodeRecord
    private let view: FleetView
    private let logger: Logger
    /// Guards `stopping`.
    private let condition = NSCondition()
    private var stopping = false
    /// The loop's own (one thread).
    private var publishedIDs: Set<String>?
    private var publishedAt = -Double.infinity
    private var failing = false
    private var lastPrune = -Double.infinity

    private let upGauge = Gauge(label: "ztp_fleet_nodes", dimensions: [("state", "up")])
    private let goneGauge = Gauge(label: "ztp_fleet_nodes", dimensions: [("state", "gone")])
    private let sessionsGauge = Gauge(label: "ztp_fleet_sessions")
    private let failures = Counter(label: "ztp_fleet_heartbeat_failures_total")

    /// Registers the node (throws if the database refuses).
    public init(store: Store, services: ServerServices, node: NodeRecord, view: FleetView, logger: Logger) throws {
        self.store = store
        self.services = services
        self.node = node
        self.view = view
        self.logger = logger
        try store.registerNode(node)
        try view.refresh(from: store)
    }

    /// One beat: heartbeat or publication, then the view. Called by the loop (and tests).
    public func beat() throws {
        let now = monotonicNow()
        let sessions = services.registry.allSessions()
        let ids = Set(sessions.map(\.id))
        let alive: Bool
        if ids != publishedIDs || now - publishedAt >= Self.sessionsRefresh {
            let text = String(decoding: try FleetView.encoder.encode(sessions.map(\.snapshot)), as: UTF8.self)
            alive = try store.publishSessions(nodeID: node.id, sessionCount: sessions.count, sessions: text)
            publishedIDs = ids
            publishedAt = now
        } else {
            alive = try store.heartbeat(nodeID: node.id, sessionCount: sessions.count)
        }
        if !alive {
            // Forgotten while silent (a long outage): join again, sessions with the next beat.
            try store.registerNode(node)
            publishedIDs = nil
        }
        if now - lastPrune >= 60 {
            lastPrune = now
            try store.pruneNodes(silentFor: Self.forgetAfter)
        }
        try view.refresh(from: store)
        let nodes = view.allNodes()
        upGauge.record(nodes.filter(\.isUp).count)
        goneGauge.record(nodes.filter { !$0.isUp }.count)
        sessionsGauge.record(nodes.filter(\.isUp).reduce(0) { $0 + $1.record.sessionCount })
    }

    public func run() async throws {
        await runOnDedicatedThread(named: "ztp-node-heartbeat", { self.loop() }, stop: { self.stop() })
        do {
            try store.removeNode(id: node.id)
        } catch {
            logger.warning("could not remove this node from the fleet; it shows as gone after its silence",
                           metadata: ["error": "\(error)"])
        }
    }

    private func stop() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    private func loop() {
        while true {
            let done: Bool = condition.withLock {
                if !stopping { _ = condition.wait(until: Date().addingTimeInterval(FleetView.heartbeatInterval)) }
                return stopping
            }
            if done { return }
            do {
                try beat()
                if failing {
                    failing = false
                    logger.notice("fleet heartbeats reach the database again")
                }
            } catch {
                failures.increment()
                if !failing {
                    failing = true
                    logger.warning("fleet heartbeat failed; other nodes will show this one gone after \(Int(FleetView.goneAfter)) s",
                                   metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
