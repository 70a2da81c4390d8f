import ZTPClient

/// `idle`: many authenticated sessions that do nothing; the figure is the growth of the
/// server's resident memory per session, after a warm-up that is not counted.
enum IdleScenario {
    static let warmUp = 256
    static let concurrency = 64

    static func run(_ context: BenchContext) async throws -> [Row] {
        let sizes = context.sizes
        var perSession: [Double] = []
        for _ in 0..<sizes.runs {
            // A fresh server each run: freed memory stays in the allocator and would make a
            // second run look cheaper than the first.
            let server = try await context.startServer()
            defer { server.stop() }
            let token = context.token(client: "idle")
            let warm = try await connect(server: server, token: token, count: warmUp)
            try await Task.sleep(for: .milliseconds(500))
            let before = try server.stats()
            let sessions = try await connect(server: server, token: token, count: sizes.idleSessions)
            try await Task.sleep(for: .seconds(1))
            let after = try server.stats()
            perSession.append(Double(after.residentBytes - before.residentBytes) / Double(sizes.idleSessions) / 1024)
            server.stop()
            await closeAll(warm + sessions)
        }
        log("  KiB/session: " + perSession.map(Row.format).joined(separator: ", "))
        return [Row(scenario: "idle", name: "idle sessions, server RSS per session", value: Stats.median(perSession), unit: "KiB",
                    baseline: "budget", baselineValue: 8, target: .atMost(1.0),
                    note: "\(sizes.idleSessions) sessions after \(warmUp) warm-up, fresh server per run, \(sizes.runs) runs")]
    }

    /// `count` sessions, connected `concurrency` at a time.
    static func connect(server: BenchServer, token: String, count: Int) async throws -> [ZTPClient] {
        let counter = Counter()
        return try await withThrowingTaskGroup(of: [ZTPClient].self) { group in
            for _ in 0..<min(concurrency, count) {
                group.addTask {
                    var mine: [ZTPClient] = []
                    while counter.next() < count {
                        mine.append(try await server.connect(token: token))
                    }
                    return mine
                }
            }
            var all: [ZTPClient] = []
            for try await part in group { all += part }
            return all
        }
    }

    static func closeAll(_ clients: [ZTPClient]) async {
        await withTaskGroup(of: Void.self) { group in
            for client in clients { group.addTask { await client.close() } }
        }
    }
}
