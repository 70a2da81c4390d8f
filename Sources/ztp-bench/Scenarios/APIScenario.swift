import Foundation
import NIOCore
import ZTPCore
import ZTPServer

/// `api`: the full `ztp-server` (ZTP listener and management API in one process) with many
/// sessions connected; the figures are the latency of `GET /v1/sessions?limit=1000` and of
/// `GET /metrics`, each a fresh connection, as an operator's tool would see them.
enum APIScenario {
    static let concurrency = 64
    /// Sessions per source address: under the server's default burst of 100 per address.
    static let sessionsPerAddress = 50

    static func run(_ context: BenchContext) async throws -> [Row] {
        let sizes = context.sizes
        guard FileManager.default.isExecutableFile(atPath: context.serverExecutable) else {
            throw BenchError("\(context.serverExecutable) is missing: build it with swift build -c release --product ztp-server")
        }
        // Keys made the way the server makes them, in a data directory the bench owns.
        let directory = try DataDirectory(path: (context.scratch as NSString).appendingPathComponent("api-data"))
        let identity = try directory.loadOrCreateIdentity()
        let secret = try directory.loadOrCreateTokenSecret()
        let adminKey = SecureRandom.bytes(24).lowercaseHex
        let ztpPort = try Loopback.freePort()
        let httpPort = try Loopback.freePort()
        let server = try ChildProcess(
            name: "ztp-server", executable: context.serverExecutable,
            arguments: ["--listen", "127.0.0.1:\(ztpPort)", "--http-listen", "127.0.0.1:\(httpPort)", "--data-dir", directory.path,
                        "--no-demo-token", "--log-level", "warning", "--max-sessions", String(sizes.apiSessions + 100),
                        // One token for every session: the per-client cap would stop them at 64.
                        "--max-sessions-per-client", String(sizes.apiSessions + 100)],
            environment: ["ZTP_ADMIN_KEY": adminKey], logDirectory: context.scratch)
        defer { server.stop() }
        try await waitUntilReady(httpPort: httpPort)
        let token = context.token(client: "api", role: "user", secret: secret)
        let counter = Counter()
        let start = now()
        let channels = try await withThrowingTaskGroup(of: [any Channel].self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var mine: [any Channel] = []
                    while case let index = counter.next(), index < sizes.apiSessions {
                        let source = "127.0.\(1 + index / (sessionsPerAddress * 250)).\(1 + (index / sessionsPerAddress) % 250)"
                        mine.append(try await LightSession.connect(host: "127.0.0.1", port: ztpPort, source: source, token: token,
                                                                   serverKey: identity.publicKey))
                    }
                    return mine
                }
            }
            var all: [any Channel] = []
            for try await part in group { all += part }
            return all
        }
        log("  \(channels.count) sessions connected in \(Int(now() - start)) s; server RSS \(try server.stats().residentBytes >> 20) MiB")
        var sessionsP50: [Double] = [], sessionsP99: [Double] = []
        var metricsP50: [Double] = [], metricsP99: [Double] = []
        var sessionsBody = 0, metricsBody = 0
        for _ in 0..<sizes.runs {
            var sessions: [Double] = []
            var metrics: [Double] = []
            for _ in 0..<sizes.apiRequests {
                let list = try await HTTPProbe.get(port: httpPort, path: "/v1/sessions?limit=1000", bearer: adminKey)
                guard list.status == 200 else { throw BenchError("GET /v1/sessions answered \(list.status)") }
                sessions.append(list.seconds)
                sessionsBody = list.bodyBytes
                let scrape = try await HTTPProbe.get(port: httpPort, path: "/metrics", bearer: nil)
                guard scrape.status == 200 else { throw BenchError("GET /metrics answered \(scrape.status)") }
                metrics.append(scrape.seconds)
                metricsBody = scrape.bodyBytes
            }
            sessionsP50.append(Stats.percentile(sessions, 50) * 1e3)
            sessionsP99.append(Stats.percentile(sessions, 99) * 1e3)
            metricsP50.append(Stats.percentile(metrics, 50) * 1e3)
            metricsP99.append(Stats.percentile(metrics, 99) * 1e3)
        }
        let revocation = try await measureRevocation(httpPort: httpPort, ztpPort: ztpPort, adminKey: adminKey,
                                                     serverKey: identity.publicKey)
        server.stop()
        for channel in channels { channel.close(promise: nil) }
        log("  sessions p50 " + sessionsP50.map(Row.format).joined(separator: ", ") + " ms; metrics p50 "
              + metricsP50.map(Row.format).joined(separator: ", ") + " ms")
        let note = "\(channels.count) sessions on ztp-server, \(sizes.apiRequests) requests per run, \(sizes.runs) runs"
        return [
            Row(scenario: "api", name: "GET /v1/sessions?limit=1000 p50", value: Stats.median(sessionsP50), unit: "ms",
                baseline: nil, baselineValue: nil, target: .none, note: note + "; body \(sessionsBody) bytes"),
            Row(scenario: "api", name: "GET /v1/sessions?limit=1000 p99", value: Stats.median(sessionsP99), unit: "ms",
                baseline: nil, baselineValue: nil, target: .none, note: note),
            Row(scenario: "api", name: "GET /metrics p50", value: Stats.median(metricsP50), unit: "ms",
                baseline: "budget", baselineValue: 50, target: .atMost(1.0), note: note + "; body \(metricsBody) bytes"),
            Row(scenario: "api", name: "GET /metrics p99", value: Stats.median(metricsP99), unit: "ms",
                baseline: "budget", baselineValue: 50, target: .atMost(1.0), note: note),
        ] + revocation
    }

    static func waitUntilReady(httpPort: Int) async throws {
        let deadline = now() + 60
        while now() < deadline {
            if let ready = try? await HTTPProbe.get(port: httpPort, path: "/readyz", bearer: nil), ready.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("ztp-server's /readyz did not answer 200 within 60 s")
    }
}
