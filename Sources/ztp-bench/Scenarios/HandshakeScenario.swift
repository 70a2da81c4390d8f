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
        let note = "\(sizes.handshakes) handshakes at concurrency \(sizes.handshakeConcurrency), \(sizes.runs) runs: "
            + perHandshake.map(Row.format).joined(separator: ", ") + " us; \(Int(Stats.median(rates))) handshakes/s wall"
        return [
            Row(scenario: "handshake", name: "handshake server CPU vs crypto floor", value: value, unit: "us/handshake",
                baseline: "crypto floor (X25519 keypair + DH + Ed25519 sign)", baselineValue: floor, target: .atMost(2.0), note: note),
            Row(scenario: "handshake", name: "handshake server CPU vs TLS 1.3", value: value, unit: "us/handshake",
                baseline: "OpenSSL TLS 1.3 s_server (Ed25519, X25519, ChaCha20)", baselineValue: openssl, target: .atMost(0.25), note: note),
        ]
    }

    /// `count` connect-handshake-close cycles, `concurrency` at a time.
    static func handshakes(server: BenchServer, token: String, count: Int, concurrency: Int) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let perWorker = (count + concurrency - 1) / concurrency
            var remaining = count
            for _ in 0..<concurrency where remaining > 0 {
                let mine = min(perWorker, remaining)
                remaining -= mine
                group.addTask {
                    for _ in 0..<mine {
                        let client = try await server.connect(token: token)
                        await client.close()
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
