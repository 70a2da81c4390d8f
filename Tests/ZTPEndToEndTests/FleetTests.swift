import Foundation
import Testing
import ZTPClient
import ZTPCore
import ZTPTestSupport

/// Three real `ztp-server` nodes on one PostgreSQL database (issue 15): one identity, one view
/// of the fleet's sessions from any node, requests that reach the node holding a session, and
/// a node that dies leaving the view within three heartbeats.
@Suite("Fleet of three nodes, end to end", .enabled(if: PostgresStoreTests.enabled, "PostgreSQL is not installed (make setup-test installs it)"))
struct FleetTests {
    struct Session: Decodable {
        var id: String
        var node: String
        var client_id: String
    }

    struct Sessions: Decodable {
        var total: Int
        var sessions: [Session]
    }

    struct Node: Decodable {
        var id: String
        var state: String
        var sessions: Int
        var isSelf: Bool

        enum CodingKeys: String, CodingKey {
            case id, state, sessions
            case isSelf = "self"
        }
    }

    struct Nodes: Decodable {
        var nodes: [Node]
    }

    static func get<T: Decodable>(_ type: T.Type, _ path: String, on node: ServerProcess, key: String) async throws -> T {
        let answer = try await HTTPExchange.send("GET", path, port: node.httpPort, bearer: key)
        guard answer.status == 200 else { throw E2EFailure("GET \(path) answered \(answer.status): \(answer.body)") }
        return try JSONDecoder().decode(T.self, from: Data(answer.body.utf8))
    }

    @Test("a token from A works on B; any node lists the fleet's sessions; a revocation on C ends them on A and B; DELETE on A ends a session on B; a killed node leaves the view")
    func threeNodes() async throws {
        let (cluster, database) = try await FleetRevocationTests.database()
        let url = FleetRevocationTests.url(cluster, database)
        let arguments = { (name: String) in ServerProcess.quickTimeouts + ["--database", url, "--no-demo-token", "--node-id", name] }
        try await withServer(arguments("node-a")) { a in
            let sameIdentity = FleetRevocationTests.sameIdentity(as: a)
            try await withServer(arguments("node-b"), prepare: sameIdentity) { b in
                try await withServer(arguments("node-c"), prepare: sameIdentity) { c in
                    let key = try AdminAPI(a).key
                    let issued = try await AdminAPI(a).issue(client: "fleet-erin")
                    let other = try await AdminAPI(c).issue(client: "fleet-frank")
                    let onA = try await a.connect(token: issued.token)
                    let onB = try await b.connect(token: issued.token)
                    let frank = try await b.connect(token: other.token)

                    // Every node lists the three sessions with the node that holds each.
                    for node in [a, b, c] {
                        let listed = try await eventually(within: .seconds(10), "node \(node.port) to list the fleet") {
                            let page = try await Self.get(Sessions.self, "/v1/sessions", on: node, key: key)
                            return page.total == 3 ? page : nil
                        }
                        #expect(Set(listed.sessions.map { "\($0.client_id)@\($0.node)" })
                                == ["fleet-erin@node-a", "fleet-erin@node-b", "fleet-frank@node-b"])
                    }
                    let onlyB = try await Self.get(Sessions.self, "/v1/sessions?node=node-b", on: c, key: key)
                    #expect(onlyB.sessions.map(\.node) == ["node-b", "node-b"])
                    let nodes = try await Self.get(Nodes.self, "/v1/nodes", on: c, key: key)
                    #expect(nodes.nodes.map(\.id) == ["node-a", "node-b", "node-c"])
                    #expect(nodes.nodes.map(\.state) == ["up", "up", "up"])
                    #expect(nodes.nodes.map(\.isSelf) == [false, false, true])

                    // A session of B, seen and ended from A.
                    let frankID = try #require(frank.sessionID)
                    let detail = try await HTTPExchange.send("GET", "/v1/sessions/\(frankID)", port: a.httpPort, bearer: key)
                    #expect(detail.status == 200 && detail.body.contains(#""node":"node-b""#), "\(detail.body)")
                    let ended = try await HTTPExchange.send("DELETE", "/v1/sessions/\(frankID)", port: a.httpPort, bearer: key)
                    #expect(ended.status == 204, "\(ended.status) \(ended.body)")
                    let frankEnd = try await value(within: .seconds(5), of: "frank's session on B to end") { await frank.closed() }
                    #expect(frankEnd.code == .closedByServer(.terminated))

                    // Revoked on C: erin's sessions on A and B end.
                    let began = ContinuousClock.now
                    try await AdminAPI(c).revoke(jti: issued.jti)
                    for (name, client) in [("A", onA), ("B", onB)] {
                        let end = try await value(within: .seconds(5), of: "erin's session on \(name) to end") { await client.closed() }
                        #expect(end.code == .closedByServer(.tokenRevoked), "\(name)")
                    }
                    print("a revocation on C ended the sessions on A and B after \(ContinuousClock.now - began)")
                    #expect(ContinuousClock.now - began < TestTime.scaled(.seconds(2)))

                    // B killed: within three heartbeats it is gone, and its sessions leave the view.
                    let last = try await b.connect(token: other.token)
                    _ = try await eventually(within: .seconds(10), "A to list B's new session") {
                        try await Self.get(Sessions.self, "/v1/sessions?node=node-b", on: a, key: key).total == 1 ? true : nil
                    }
                    await b.kill()
                    let killedAt = ContinuousClock.now
                    _ = try await eventually(within: .seconds(15), "B to be gone from A's view") {
                        let nodes = try await Self.get(Nodes.self, "/v1/nodes", on: a, key: key)
                        return nodes.nodes.first { $0.id == "node-b" }?.state == "gone" ? true : nil
                    }
                    let gone = ContinuousClock.now - killedAt
                    print("node B shown gone \(gone) after kill -9")
                    #expect(gone < TestTime.scaled(.seconds(9)), "three missed 2-s beats, and one of A's own")
                    #expect(try await Self.get(Sessions.self, "/v1/sessions", on: a, key: key).total == 0)
                    _ = last
                }
            }
        }
    }

    @Test("a node whose token secret or server key is not the fleet's refuses to join, saying which")
    func mismatchedIdentity() async throws {
        let (cluster, database) = try await FleetRevocationTests.database()
        let url = FleetRevocationTests.url(cluster, database)
        let arguments = ServerProcess.quickTimeouts + ["--database", url, "--no-demo-token"]
        try await withServer(arguments) { first in
            for (file, words) in [("token.secret", "token secret"), ("identity.key", "server key")] {
                let work = try TestPaths.makeTemporaryDirectory(prefix: "ztp-e2e-fleet-mismatch")
                defer { try? FileManager.default.removeItem(at: work) }
                // The first node's files, but one of its own.
                try PostgresStoreTests.identity(copiedFrom: first.dataDirectory)(work)
                let data = work.appendingPathComponent("data")
                try FileManager.default.removeItem(at: data.appendingPathComponent(file))
                try Unprivileged.handOver(work)
                let result = try await ChildProcess.run(try TestPaths.serverBinary(), [
                    "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--data-dir", data.path, "--database", url,
                    "--no-demo-token",
                ])
                let output = result.stdout + result.stderr
                #expect(result.status != 0, "\(file): \(output)")
                #expect(output.contains("this node's \(words)") && output.contains("is not the fleet's"), "\(file): \(output)")
            }
            // The first node is still up and alone.
            let nodes = try await Self.get(Nodes.self, "/v1/nodes", on: first, key: try AdminAPI(first).key)
            #expect(nodes.nodes.count == 1)
        }
    }
}
