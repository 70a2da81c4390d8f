import NIOCore
import NIOPosix
import ZTPClient

/// `handshake`: full handshakes at a fixed concurrency; the figure is the server's CPU time
/// (user + system, from /proc) per handshake, connection setup and teardown included.
enum HandshakeScenario {
    static func run(_ context: BenchContext) async throws -> [Row] {
        let sizes = context.sizes
        let server = try await context.startServer()
        defer { server.stop() }
        let token = context.token(client: "hs")
        // Warm-up: lazily built state (allocator arenas, metrics) is not a handshake's cost.
        try await handshakes(server: server, token: token, count: 64, concurrency: sizes.handshakeConcurrency)
        var perHandshake: [Double] = []
        var rates: [Double] = []
        for _ in 0..<sizes.runs {
            let before = try server.stats()
            let start = now()
            try await handshakes(server: server, token: token, count: sizes.handshakes, concurrency: sizes.handshakeConcurrency)
            let elapsed = now() - start
            let after = try server.stats()
            perHandshake.append((after.cpuSeconds - before.cpuSeconds) / Double(sizes.handshakes) * 1e6)
            rates.append(Double(sizes.handshakes) / elapsed)
        }
        let value = Stats.median(perHandshake)
        let floor = try await context.baseline("crypto floor: handshake, us") {
            CryptoFloor.handshakeMicroseconds(iterations: sizes.floorIterations)
        }
        let openssl = try await context.baseline("OpenSSL TLS 1.3 s_server CPU per full handshake, us") {
            var samples: [Double] = []
            for _ in 0..<sizes.runs {
                samples.append(try await TLSBaseline.handshakeMicroseconds(context, seconds: sizes.sTimeSeconds))
            }
            return Stats.median(samples)
        }
        let bare = try await context.baseline("bare SwiftNIO accept and close, server CPU per connection, us") {
            try await acceptCloseMicroseconds(context)
        }
        let note = "\(sizes.handshakes) handshakes at concurrency \(sizes.handshakeConcurrency), \(sizes.runs) runs: "
            + perHandshake.map(Row.format).joined(separator: ", ") + " us; \(Int(Stats.median(rates))) handshakes/s wall"
        return [
            Row(scenario: "handshake", name: "handshake server CPU vs crypto floor", value: value, unit: "us/handshake",
                baseline: "crypto floor (X25519 keypair + DH + Ed25519 sign)", baselineValue: floor, target: .atMost(2.0), note: note),
            Row(scenario: "handshake", name: "handshake server CPU vs TLS 1.3", value: value, unit: "us/handshake",
                baseline: "OpenSSL TLS 1.3 s_server (Ed25519, X25519, ChaCha20)", baselineValue: openssl, target: .atMost(0.25), note: note),
            Row(scenario: "handshake", name: "handshake server CPU vs bare NIO + 1.5x crypto floor", value: value, unit: "us/handshake",
                baseline: "bare SwiftNIO accept/close (\(Row.format(bare)) us) + 1.5 x crypto floor", baselineValue: bare + 1.5 * floor,
                target: .atMost(1.0), note: note),
        ]
    }

    /// Server CPU microseconds per connection of `ztp-bench accept-close` (median over the
    /// runs), driven like the handshakes: the same count, at the same concurrency.
    static func acceptCloseMicroseconds(_ context: BenchContext) async throws -> Double {
        let sizes = context.sizes
        let server = try ChildProcess(name: "accept-close", executable: context.benchExecutable, arguments: ["accept-close"],
                                      logDirectory: context.scratch)
        defer { server.stop() }
        guard let port = Int(try await server.waitForLine(prefix: "ready ")) else { throw BenchError("accept-close printed no port") }
        try await connectUntilClosed(port: port, count: 64, concurrency: sizes.handshakeConcurrency)
        var samples: [Double] = []
        for _ in 0..<sizes.runs {
            let before = try server.stats()
            try await connectUntilClosed(port: port, count: sizes.handshakes, concurrency: sizes.handshakeConcurrency)
            let after = try server.stats()
            samples.append((after.cpuSeconds - before.cpuSeconds) / Double(sizes.handshakes) * 1e6)
        }
        log("  bare NIO accept/close: " + samples.map(Row.format).joined(separator: ", ") + " us/connection")
        return Stats.median(samples)
    }

    /// `count` connections, `concurrency` at a time, each waited on until the server closes it.
    static func connectUntilClosed(port: Int, count: Int, concurrency: Int) async throws {
        try await inWorkers(count: count, concurrency: concurrency) {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            try await channel.closeFuture.get()
        }
    }

    /// Runs `body` `count` times, `concurrency` at a time.
    static func inWorkers(count: Int, concurrency: Int, _ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let perWorker = (count + concurrency - 1) / concurrency
            var remaining = count
            for _ in 0..<concurrency where remaining > 0 {
                let mine = min(perWorker, remaining)
                remaining -= mine
                group.addTask {
                    for _ in 0..<mine { try await body() }
                }
            }
            try await group.waitForAll()
        }
    }

    /// `count` connect-handshake-close cycles, `concurrency` at a time.
    static func handshakes(server: BenchServer, token: String, count: Int, concurrency: Int) async throws {
        try await inWorkers(count: count, concurrency: concurrency) {
            let client = try await server.connect(token: token)
            await client.close()
        }
    }
}
