import Foundation
import Testing
import ZTPClient
import ZTPCore
import ZTPTestSupport

/// Nodes sharing one PostgreSQL database: a revocation on any node reaches every node, and a
/// node that cannot reach the database fails closed (issue 15, "revocation everywhere").
/// Real server processes on the shared test cluster; an outage is a `TCPRelay` cut between
/// one node and PostgreSQL.
@Suite("Fleet revocation, end to end", .enabled(if: PostgresStoreTests.enabled, "PostgreSQL is not installed (make setup-test installs it)"))
struct FleetRevocationTests {
    /// A fresh database and its URL (optionally through `port` instead of the cluster's).
    static func database() async throws -> (PostgresTestCluster, String) {
        let cluster = try await offPool { try PostgresTestCluster.shared() }
        let database = try await offPool { try cluster.makeDatabase() }
        return (cluster, database)
    }

    static func url(_ cluster: PostgresTestCluster, _ database: String, port: Int? = nil) -> String {
        let direct = cluster.url(database: database)
        guard let port else { return direct }
        return direct.replacingOccurrences(of: ":\(cluster.port)/", with: ":\(port)/")
    }

    /// Prepares a second node's directory with the first node's identity, token secret and admin key.
    static func sameIdentity(as node: ServerProcess) -> (URL) throws -> Void {
        PostgresStoreTests.identity(copiedFrom: node.dataDirectory)
    }

    @Test("a token revoked on one node ends its session on another within a second, and that node refuses it at once")
    func revocationReachesEveryNode() async throws {
        let (cluster, database) = try await Self.database()
        let arguments = ServerProcess.quickTimeouts + ["--database", Self.url(cluster, database), "--no-demo-token"]
        try await withServer(arguments) { first in
            try await withServer(arguments, prepare: Self.sameIdentity(as: first)) { second in
                let admin = try AdminAPI(first)
                let issued = try await admin.issue(client: "fleet-alice")
                let kept = try await admin.issue(client: "fleet-bob")
                let elsewhere = try await second.connect(token: issued.token)
                let bystander = try await second.connect(token: kept.token)

                let began = ContinuousClock.now
                try await admin.revoke(jti: issued.jti)
                let end = try await value(within: .seconds(5), of: "the session's end on the other node") { await elsewhere.closed() }
                let took = ContinuousClock.now - began
                print("revocation on one node closed the session on the other after \(took)")
                #expect(end.code == .closedByServer(.tokenRevoked))
                // The bound is one second; the margin is for a loaded machine, not for the design.
                #expect(took < TestTime.scaled(.seconds(2)), "the other node took \(took)")

                let refused = await #expect(throws: ZTPClientError.self) { try await second.connect(token: issued.token) }
                #expect(refused?.code == .closedByServer(.tokenRevoked))
                _ = try await bystander.ping()
                let other = try AdminAPI(second)
                #expect(try await other.metric("ztp_fleet_revocations_applied_total") == 1)
                #expect(try await other.sessions().map(\.client) == ["fleet-bob"])
                await bystander.close()
            }
        }
    }

    @Test("a node cut off from the database keeps its sessions, accepts handshakes for --max-revocation-staleness, then refuses them; issuing answers 503; once back it applies what it missed")
    func outageFailsClosedAndCatchesUp() async throws {
        let (cluster, database) = try await Self.database()
        let relay = try TCPRelay(upstreamPort: cluster.port)
        defer { relay.close() }
        let direct = ServerProcess.quickTimeouts + ["--database", Self.url(cluster, database), "--no-demo-token"]
        let relayed = ServerProcess.quickTimeouts + ["--database", Self.url(cluster, database, port: relay.port), "--no-demo-token",
                                                     "--max-revocation-staleness", "3"]
        try await withServer(direct) { first in
            try await withServer(relayed, prepare: Self.sameIdentity(as: first)) { second in
                let admin = try AdminAPI(first)
                let other = try AdminAPI(second)
                let revokedMeanwhile = try await admin.issue(client: "fleet-carol")
                let kept = try await admin.issue(client: "fleet-dave")
                let carol = try await second.connect(token: revokedMeanwhile.token)

                relay.cut()
                // Within the staleness bound, handshakes go on with the cached list.
                let early = try await second.connect(token: kept.token)
                // Issuing needs the database: 503, a problem, and when to retry.
                let issue = try await HTTPExchange.send("POST", "/v1/tokens", port: second.httpPort, bearer: other.key,
                                                        json: #"{"client_id":"nope","role":"user","ttl_seconds":60}"#)
                #expect(issue.status == 503, "\(issue.status) \(issue.body)")
                #expect(issue.head.lowercased().contains("content-type: application/problem+json"), "\(issue.head)")
                #expect(issue.head.lowercased().contains("retry-after: 5"), "\(issue.head)")
                #expect(issue.body.contains("database is not available"), "\(issue.body)")

                // Revoked on the node that can reach the database: the cut-off node cannot know.
                try await admin.revoke(jti: revokedMeanwhile.jti)
                _ = try await carol.ping()

                // Past the bound: not ready, saying why, and new handshakes are refused.
                let notReady = try await eventually(within: .seconds(10), "the cut-off node's /readyz to turn 503") {
                    let answer = try await HTTPExchange.send("GET", "/readyz", port: second.httpPort)
                    return answer.status == 503 && answer.body.contains("revocation list") ? answer : nil
                }
                #expect(notReady.body.contains("limit 3 s"), "\(notReady.body)")
                await #expect(throws: ZTPClientError.self, "a handshake on a stale list") {
                    try await second.connect(token: kept.token)
                }
                #expect(try await other.metric(#"ztp_handshakes_total{result="revocations_stale"}"#) >= 1)
                // Sessions already open go on.
                _ = try await early.ping()
                _ = try await carol.ping()

                relay.restore()
                // Back: the revocation made meanwhile is applied (no notice reached this node).
                let end = try await value(within: .seconds(10), of: "the missed revocation's close") { await carol.closed() }
                #expect(end.code == .closedByServer(.tokenRevoked))
                _ = try await eventually(within: .seconds(10), "the node to be ready again") {
                    try await HTTPExchange.send("GET", "/readyz", port: second.httpPort).status == 200 ? true : nil
                }
                let again = try await second.connect(token: kept.token)
                _ = try await again.ping()
                _ = try await early.ping()
                #expect(second.log.contains("revocations caught up with the database again"), "\(second.log)")
                await again.close()
                await early.close()
            }
        }
    }
}

/// Polls `check` until it returns a value, or fails after `timeout` (scaled for slow runs).
func eventually<T: Sendable>(within timeout: Duration, _ what: String,
                             _ check: @Sendable () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + TestTime.scaled(timeout)
    while ContinuousClock.now < deadline {
        if let value = try await check() { return value }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw E2EFailure("\(what) did not happen within \(timeout)")
}
