import Foundation

/// TLS 1.3 with ChaCha20-Poly1305 over swift-nio-ssl (BoringSSL): the transport a Swift user
/// would build on instead of ZTP. `ztp-baselines` comes from the `Benchmarks/` package, whose
/// dependencies stay out of the main build; `make bench-baselines` builds it. It runs its server in a
/// child process and checks on the wire that TLS 1.3 with ChaCha20-Poly1305 was negotiated.
enum NIOSSLBaseline {
    static let name = "TLS 1.3 ChaCha20-Poly1305 (swift-nio-ssl)"

    /// `Benchmarks/.build/release/ztp-baselines`, from the repository that holds `scripts/`.
    static func executable(_ context: BenchContext) throws -> String {
        let root = (context.scriptsDirectory as NSString).deletingLastPathComponent
        let path = (root as NSString).appendingPathComponent("Benchmarks/.build/release/ztp-baselines")
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError("\(path) is missing; `make bench-baselines` builds it")
        }
        return path
    }

    /// MB/s of one transfer of `bytes` in the scenario's chunk size.
    static func bulkMegabytesPerSecond(_ context: BenchContext, direction: String, bytes: Int) async throws -> Double {
        let result = try await run(context, "bulk", ["--direction", direction, "--bytes", String(bytes),
                                                     "--chunk", String(BulkScenario.chunkSize)])
        guard let rate = result["mb_per_s"] as? Double else { throw BenchError("ztp-baselines bulk printed no rate: \(result)") }
        return rate
    }

    /// p50 and p99 in microseconds of `count` sequential 4-byte round trips on one connection.
    static func ping(_ context: BenchContext, count: Int) async throws -> (p50: Double, p99: Double) {
        let result = try await run(context, "ping", ["--count", String(count), "--warm-up", String(PingScenario.warmUp)])
        guard let p50 = result["p50_us"] as? Double, let p99 = result["p99_us"] as? Double else {
            throw BenchError("ztp-baselines ping printed no percentiles: \(result)")
        }
        return (p50, p99)
    }

    /// Runs one `ztp-baselines` command to its end; its last line of output is a JSON object.
    private static func run(_ context: BenchContext, _ command: String, _ arguments: [String]) async throws -> [String: Any] {
        let (cert, key) = try await TLSBaseline.certificate(context)
        let child = try ChildProcess(name: "nio-ssl-\(command)", executable: try executable(context),
                                     arguments: [command] + arguments + ["--cert", cert, "--key", key], logDirectory: context.scratch)
        return try await TLSBaseline.result(of: child, "ztp-baselines \(command)")
    }
}
