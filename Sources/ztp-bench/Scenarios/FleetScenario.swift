import Foundation
import NIOCore
import ZTPCore
import ZTPServer
import ZTPTestSupport

/// `fleet` (issue 15): three `ztp-server` nodes on one PostgreSQL database (a throwaway cluster,
/// started as the tests start theirs): how soon a revocation on one node ends the token's
/// sessions on the other two, what a fleet-wide `GET /v1/sessions` costs with sessions on every
/// node, and what the PostgreSQL backend adds to a handshake (it must not touch the database
/// beyond the cached revocation check).
enum FleetScenario {
    struct Node {
        let name: String
        let process: ChildProcess
        let ztpPort: Int
        let httpPort: Int
    }

    static func run(_ context: BenchContext) async throws -> [Row] {
        guard PostgresTestCluster.isInstalled else { throw BenchError("PostgreSQL is not installed (make setup-test installs it)") }
        guard FileManager.default.isExecutableFile(atPath: context.serverExecutable) else {
            throw BenchError("\(context.serverExecutable) is missing: build it with swift build -c release --product ztp-server")
        }
        let sizes = context.sizes
        let cluster = try PostgresTestCluster.shared()
        let url = cluster.url(database: try cluster.makeDatabase())
        // One identity for the three, made the way the server makes it.
        let first = try DataDirectory(path: (context.scratch as NSString).appendingPathComponent("fleet-a"))
        let identity = try first.loadOrCreateIdentity()
        let secret = try first.loadOrCreateTokenSecret()
        let adminKey = SecureRandom.bytes(24).lowercaseHex
        let capacity = String(sizes.fleetSessionsPerNode + 1000)
        let common = ["--no-demo-token", "--log-level", "warning", "--max-sessions", capacity, "--max-sessions-per-client", capacity]
        var nodes: [Node] = []
        defer { for node in nodes { node.process.stop() } }
        for name in ["a", "b", "c"] {
            let path = (context.scratch as NSString).appendingPathComponent("fleet-\(name)")
            if name != "a" {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false,
                                                        attributes: [.posixPermissions: 0o700])
                for file in ["identity.key", "token.secret"] {
                    try FileManager.default.copyItem(atPath: first.file(file), toPath: (path as NSString).appendingPathComponent(file))
                }
            }
            nodes.append(try await start(context, name: name, dataDirectory: path, arguments: common + ["--database", url],
                                         adminKey: adminKey))
        }
        let (a, b, c) = (nodes[0], nodes[1], nodes[2])

        // Revocation: a token with a session on b and one on c, revoked on a.
        var delays: [Double] = []
        for round in 0..<sizes.fleetRevocations {
            let issued = try await HTTPProbe.request("POST", port: a.httpPort, path: "/v1/tokens", bearer: adminKey,
                                                     json: #"{"client_id":"fleet-\#(round)","role":"user"}"#)
            guard issued.status == 201, let object = try JSONSerialization.jsonObject(with: Data(issued.body)) as? [String: Any],
                  let token = object["token"] as? String, let jti = object["jti"] as? String
            else { throw BenchError("POST /v1/tokens answered \(issued.status)") }
            var sessions: [any Channel] = []
            for node in [b, c] {
                sessions.append(try await LightSession.connect(host: "127.0.0.1", port: node.ztpPort, source: "127.0.11.1",
                                                               token: token, serverKey: identity.publicKey))
            }
            let began = now()
            let revoked = try await HTTPProbe.request("DELETE", port: a.httpPort, path: "/v1/tokens/\(jti)", bearer: adminKey)
            guard revoked.status == 204 else { throw BenchError("DELETE /v1/tokens answered \(revoked.status)") }
            for session in sessions {
                try await session.closeFuture.get()
                delays.append(now() - began)
            }
        }
        log("  revocation on one node to the end of the sessions on two others: p50 "
            + "\(Row.format(Stats.percentile(delays, 50) * 1e3)) ms, p99 \(Row.format(Stats.percentile(delays, 99) * 1e3)) ms")

        // The fleet's sessions listed from one node: its own as they are, the others' as published.
        let token = context.token(client: "fleet-listing", role: "user", secret: secret)
        var channels: [any Channel] = []
        defer { for channel in channels { channel.close(promise: nil) } }
        for (index, node) in nodes.enumerated() {
            channels += try await connect(sizes.fleetSessionsPerNode, to: node, token: token, serverKey: identity.publicKey,
                                          subnet: 20 + index)
        }
        let expected = 3 * sizes.fleetSessionsPerNode
        let deadline = now() + 60
        while try await total(on: a, adminKey: adminKey) != expected {
            guard now() < deadline else { throw BenchError("node a does not list the fleet's \(expected) sessions after 60 s") }
            try await Task.sleep(for: .milliseconds(200))
        }
        var listP50: [Double] = [], listP99: [Double] = []
        var body = 0
        for _ in 0..<sizes.runs {
            var seconds: [Double] = []
            for _ in 0..<sizes.apiRequests {
                let list = try await HTTPProbe.get(port: a.httpPort, path: "/v1/sessions?limit=1000", bearer: adminKey)
                guard list.status == 200 else { throw BenchError("GET /v1/sessions answered \(list.status)") }
                seconds.append(list.seconds)
                body = list.bodyBytes
            }
            listP50.append(Stats.percentile(seconds, 50) * 1e3)
            listP99.append(Stats.percentile(seconds, 99) * 1e3)
        }
        for channel in channels { channel.close(promise: nil) }
        channels = []
        // The closes, and the publications of emptied lists, are not part of what follows.
        while try await total(on: a, adminKey: adminKey) != 0 {
            guard now() < deadline + 60 else { throw BenchError("the fleet's sessions did not end within 60 s") }
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .seconds(3))

        // Server CPU per handshake: node a (PostgreSQL) against a server alone on SQLite, in
        // turns, the median of `runs` samples each.
        let sqlitePath = (context.scratch as NSString).appendingPathComponent("fleet-sqlite")
        try FileManager.default.createDirectory(atPath: sqlitePath, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        for file in ["identity.key", "token.secret"] {
            try FileManager.default.copyItem(atPath: first.file(file), toPath: (sqlitePath as NSString).appendingPathComponent(file))
        }
        let alone = try await start(context, name: "sqlite", dataDirectory: sqlitePath, arguments: common, adminKey: adminKey)
        defer { alone.process.stop() }
        var postgresSamples: [Double] = [], sqliteSamples: [Double] = []
        for _ in 0..<sizes.runs {
            postgresSamples.append(try await cpuPerHandshake(context, on: a, token: token, serverKey: identity.publicKey))
            sqliteSamples.append(try await cpuPerHandshake(context, on: alone, token: token, serverKey: identity.publicKey))
        }
        let postgresCPU = Stats.median(postgresSamples), sqliteCPU = Stats.median(sqliteSamples)
        log("  server CPU per handshake: PostgreSQL " + postgresSamples.map { Row.format($0 * 1e6) }.joined(separator: ", ")
            + " µs; SQLite " + sqliteSamples.map { Row.format($0 * 1e6) }.joined(separator: ", ") + " µs")

        let note = "3 nodes on one PostgreSQL (fsync off, loopback)"
        return [
            Row(scenario: "fleet", name: "revocation to the end of the sessions on 2 other nodes p50",
                value: Stats.percentile(delays, 50) * 1e3, unit: "ms", baseline: "budget", baselineValue: 1000,
                target: .atMost(1.0), note: note + "; \(delays.count) sessions, \(sizes.fleetRevocations) revocations"),
            Row(scenario: "fleet", name: "revocation to the end of the sessions on 2 other nodes p99",
                value: Stats.percentile(delays, 99) * 1e3, unit: "ms", baseline: "budget", baselineValue: 1000,
                target: .atMost(1.0), note: note),
            Row(scenario: "fleet", name: "GET /v1/sessions?limit=1000 p50, 3 x \(sizes.fleetSessionsPerNode) sessions",
                value: Stats.median(listP50), unit: "ms", baseline: nil, baselineValue: nil, target: .none,
                note: note + "; asked on one node, \(sizes.apiRequests) requests per run, body \(body) bytes"),
            Row(scenario: "fleet", name: "GET /v1/sessions?limit=1000 p99, 3 x \(sizes.fleetSessionsPerNode) sessions",
                value: Stats.median(listP99), unit: "ms", baseline: nil, baselineValue: nil, target: .none, note: note),
            Row(scenario: "fleet", name: "server CPU per handshake, PostgreSQL backend", value: postgresCPU * 1e6, unit: "µs",
                baseline: "SQLite backend", baselineValue: sqliteCPU * 1e6, target: .atMost(1.1),
                note: "median of \(sizes.runs) samples of \(sizes.fleetHandshakes) handshakes, 16 at a time, each session closed at once; the fleet node heartbeats and polls revocations meanwhile"),
        ]
    }

    static func start(_ context: BenchContext, name: String, dataDirectory: String, arguments: [String],
                      adminKey: String) async throws -> Node {
        let ztpPort = try Loopback.freePort()
        let httpPort = try Loopback.freePort()
        let process = try ChildProcess(
            name: "ztp-server-\(name)", executable: context.serverExecutable,
            arguments: ["--listen", "127.0.0.1:\(ztpPort)", "--http-listen", "127.0.0.1:\(httpPort)", "--data-dir", dataDirectory,
                        "--node-id", name] + arguments,
            environment: ["ZTP_ADMIN_KEY": adminKey], logDirectory: context.scratch)
        try await APIScenario.waitUntilReady(httpPort: httpPort)
        return Node(name: name, process: process, ztpPort: ztpPort, httpPort: httpPort)
    }

    /// `count` sessions on `node`, from 127.0.`subnet`.x addresses (under the per-address limits).
    static func connect(_ count: Int, to node: Node, token: String, serverKey: [UInt8], subnet: Int) async throws -> [any Channel] {
        let counter = Counter()
        return try await withThrowingTaskGroup(of: [any Channel].self) { group in
            for _ in 0..<APIScenario.concurrency {
                group.addTask {
                    var mine: [any Channel] = []
                    while case let index = counter.next(), index < count {
                        let source = "127.\(subnet).\(1 + index / (APIScenario.sessionsPerAddress * 250)).\(1 + (index / APIScenario.sessionsPerAddress) % 250)"
                        mine.append(try await LightSession.connect(host: "127.0.0.1", port: node.ztpPort, source: source,
                                                                   token: token, serverKey: serverKey))
                    }
                    return mine
                }
            }
            var all: [any Channel] = []
            for try await part in group { all += part }
            return all
        }
    }

    static func total(on node: Node, adminKey: String) async throws -> Int {
        let answer = try await HTTPProbe.get(port: node.httpPort, path: "/v1/sessions?limit=1", bearer: adminKey)
        guard answer.status == 200, let object = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
              let total = object["total"] as? Int else { throw BenchError("GET /v1/sessions answered \(answer.status)") }
        return total
    }

    /// The server's CPU seconds per handshake over `fleetHandshakes` of them, 16 at a time.
    static func cpuPerHandshake(_ context: BenchContext, on node: Node, token: String, serverKey: [UInt8]) async throws -> Double {
        let count = context.sizes.fleetHandshakes
        let before = try node.process.stats().cpuSeconds
        let counter = Counter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    while case let index = counter.next(), index < count {
                        let channel = try await LightSession.connect(
                            host: "127.0.0.1", port: node.ztpPort,
                            source: "127.30.\(1 + index / (APIScenario.sessionsPerAddress * 250)).\(1 + (index / APIScenario.sessionsPerAddress) % 250)",
                            token: token, serverKey: serverKey)
                        try await channel.close()
                    }
                }
            }
            try await group.waitForAll()
        }
        return (try node.process.stats().cpuSeconds - before) / Double(count)
    }
}
