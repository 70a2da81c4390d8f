import Foundation
import Testing
@testable import ZTPStore
import ZTPTestSupport

/// The fleet's tables: nodes, heartbeats, published sessions, the fleet identity (issue 15).
@Suite("Store fleet tables")
struct StoreFleetTests {
    static func node(_ id: String, started: TimeInterval = 0) -> NodeRecord {
        NodeRecord(id: id, ztpAddress: "10.0.0.1:9999", apiAddress: "10.0.0.1:8080", version: "0.1.0",
                   startedAt: Fixtures.t0.addingTimeInterval(started))
    }

    @Test("nodes register, heartbeat and publish sessions; a reader sees them with their silence, in id order", arguments: Backend.available)
    func registerAndHeartbeat(backend: Backend) throws {
        try withStore(backend) { store in
            try store.registerNode(Self.node("b"))
            try store.registerNode(Self.node("a", started: 5))
            var nodes = try store.nodes()
            #expect(nodes.map(\.record.id) == ["a", "b"])
            #expect(nodes[0].record.startedAt == Fixtures.t0.addingTimeInterval(5))
            #expect(nodes.allSatisfy { $0.silence < 5 && $0.record.sessionCount == 0 })
            let version = nodes[1].sessionsVersion

            #expect(try store.heartbeat(nodeID: "b", sessionCount: 3))
            #expect(try store.nodes()[1].sessionsVersion == version, "a heartbeat alone publishes no sessions")
            #expect(try store.publishSessions(nodeID: "b", sessionCount: 2, sessions: #"[{"id":"s1"},{"id":"s2"}]"#))
            nodes = try store.nodes()
            #expect(nodes[1].record.sessionCount == 2)
            #expect(nodes[1].sessionsVersion == version + 1)
            #expect(try store.sessions(ofNodes: ["b", "a", "zz"]) == ["b": #"[{"id":"s1"},{"id":"s2"}]"#, "a": "[]"])

            // A restart registers again: the same row, its sessions cleared, their version moved on.
            try store.registerNode(Self.node("b", started: 100))
            nodes = try store.nodes()
            #expect(nodes[1].record.startedAt == Fixtures.t0.addingTimeInterval(100))
            #expect(nodes[1].record.sessionCount == 0 && nodes[1].sessionsVersion == version + 2)
            #expect(try store.sessions(ofNodes: ["b"]) == ["b": "[]"])
        }
    }

    @Test("a removed or pruned node is gone; its heartbeat says so", arguments: Backend.available)
    func removeAndPrune(backend: Backend) throws {
        try withStore(backend) { store in
            try store.registerNode(Self.node("a"))
            try store.registerNode(Self.node("b"))
            try store.removeNode(id: "a")
            #expect(try store.heartbeat(nodeID: "a", sessionCount: 0) == false)
            #expect(try store.publishSessions(nodeID: "a", sessionCount: 0, sessions: "[]") == false)
            #expect(try store.pruneNodes(silentFor: 60) == 0, "b beat just now")
            Thread.sleep(forTimeInterval: 0.2)
            #expect(try store.pruneNodes(silentFor: 0.1) == 1)
            #expect(try store.nodes().isEmpty)
        }
    }

    @Test("the first identity claimed is the fleet's; a later claim gets it back unchanged", arguments: Backend.available)
    func identity(backend: Backend) throws {
        try withDatabase(backend) { database in
            let first = FleetIdentity(serverPublicKey: "aa", secretFingerprint: "f1")
            let other = FleetIdentity(serverPublicKey: "bb", secretFingerprint: "f2")
            let (one, two) = (try database.open(), try database.open())
            #expect(try one.claimFleetIdentity(first) == first)
            #expect(try two.claimFleetIdentity(other) == first)
        }
    }
}
