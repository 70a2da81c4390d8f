import Foundation
import ZTPServer
import ZTPStore

/// What this node knows of the fleet: every node with its health, and the sessions the other
/// nodes published. Refreshed after each heartbeat (`refresh`), read by the API without
/// touching the database, so a listing costs the same however slow the database is.
public final class FleetView: @unchecked Sendable {
    /// Heartbeat period; a node silent for `goneAfter` (three missed beats) is gone, and its
    /// sessions leave the view.
    public static let heartbeatInterval: TimeInterval = 2
    public static let goneAfter: TimeInterval = 3 * heartbeatInterval

    /// A node as the API shows it.
    public struct Node: Sendable {
        public var record: NodeRecord
        public var silence: TimeInterval
        public var isSelf: Bool
        public var isUp: Bool { silence <= FleetView.goneAfter }
    }

    /// A session of another node, as that node last published it.
    public struct RemoteSession: Sendable {
        public var node: String
        public var snapshot: SessionSnapshot
    }

    public let selfID: String
    /// Guards the fields below it.
    private let lock = NSLock()
    private var nodes: [NodeStatus] = []
    /// Monotonic seconds of the last successful refresh (silences grow from there).
    private var refreshedAt = monotonicNow()
    private var published: [String: (version: Int64, sessions: [SessionSnapshot])] = [:]

    public init(selfID: String) {
        self.selfID = selfID
    }

    /// Reads the nodes, and the session lists of those whose list changed since the last read.
    func refresh(from store: Store) throws {
        let began = monotonicNow()
        let statuses = try store.nodes()
        let known = lock.withLock { published.mapValues(\.version) }
        let changed = statuses.filter { $0.record.id != selfID && known[$0.record.id] != $0.sessionsVersion }
        let texts = try store.sessions(ofNodes: changed.map(\.record.id))
        var decoded: [String: (Int64, [SessionSnapshot])] = [:]
        for status in changed {
            // A list that does not decode (a node of another version) shows as no sessions.
            let sessions = (texts[status.record.id]).flatMap { try? Self.decoder.decode([SessionSnapshot].self, from: Data($0.utf8)) }
            decoded[status.record.id] = (status.sessionsVersion, sessions ?? [])
        }
        lock.withLock {
            nodes = statuses
            refreshedAt = began
            let present = Set(statuses.map(\.record.id))
            published = published.filter { present.contains($0.key) }
            for (id, entry) in decoded { published[id] = entry }
        }
    }

    /// Every registered node, silences as of now (they grow while the database cannot be read).
    public func allNodes() -> [Node] {
        lock.withLock {
            let since = max(0, monotonicNow() - refreshedAt)
            return nodes.map { Node(record: $0.record, silence: $0.silence + since, isSelf: $0.record.id == selfID) }
        }
    }

    /// The sessions of the other nodes that are up.
    public func remoteSessions() -> [RemoteSession] {
        let up = Set(allNodes().filter { $0.isUp && !$0.isSelf }.map(\.record.id))
        return lock.withLock {
            published.filter { up.contains($0.key) }.sorted { $0.key < $1.key }.flatMap { node, entry in
                entry.sessions.map { RemoteSession(node: node, snapshot: $0) }
            }
        }
    }

    /// The session `id` on another node that is up.
    public func remoteSession(id: String) -> RemoteSession? {
        remoteSessions().first { $0.snapshot.id == id }
    }

    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()
}
