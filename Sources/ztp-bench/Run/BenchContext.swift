import Foundation
import ZTPClient
import ZTPCore

/// What every scenario of one invocation shares: sizes, keys, paths, and the baselines
/// measured so far (each is measured once per invocation and reused by the rows that need it).
///
/// Used from the run command's task only, one scenario after another.
final class BenchContext {
    let sizes: Sizes
    /// The token secret and identity handed to every `serve` child.
    let secret = SecretBytes(randomCount: 32)
    let identity = Ed25519.KeyPair()
    /// This executable (for `serve` and `tcp-echo`) and its sibling `ztp-server`.
    let benchExecutable: String
    let serverExecutable: String
    /// `scripts/` of the repository, for `tls_bulk.py`.
    let scriptsDirectory: String
    /// Logs, certificates, data directories; removed at the end.
    let scratch: String
    var report: Report
    /// Extra `serve` flags (`ZTP_BENCH_SERVE_ARGS`, for experiments such as a larger window).
    let serveArguments = (ProcessInfo.processInfo.environment["ZTP_BENCH_SERVE_ARGS"] ?? "").split(separator: " ").map(String.init)
    /// Baselines measured so far, by name.
    var cache: [String: Double] = [:]

    init(sizes: Sizes, scriptsDirectory: String?, report: Report) throws {
        self.sizes = sizes
        self.report = report
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        benchExecutable = executable
        serverExecutable = ((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent("ztp-server")
        self.scriptsDirectory = try scriptsDirectory ?? BenchContext.findScripts(near: executable)
        scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("ztp-bench-\(getpid())")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    /// `scripts/` in the working directory, or above the executable (`.build/release/`).
    static func findScripts(near executable: String) throws -> String {
        var candidates = [FileManager.default.currentDirectoryPath]
        var directory = (executable as NSString).deletingLastPathComponent
        for _ in 0..<5 {
            candidates.append(directory)
            directory = (directory as NSString).deletingLastPathComponent
        }
        for candidate in candidates {
            let scripts = (candidate as NSString).appendingPathComponent("scripts")
            if FileManager.default.fileExists(atPath: (scripts as NSString).appendingPathComponent("tls_bulk.py")) { return scripts }
        }
        throw BenchError("cannot find scripts/tls_bulk.py; run from the repository or pass --scripts-dir")
    }

    // MARK: Servers

    /// Starts `ztp-bench serve` on a free loopback port.
    func startServer() async throws -> BenchServer {
        let child = try ChildProcess(name: "ztp-bench-serve", executable: benchExecutable, arguments: ["serve", "--listen", "127.0.0.1:0"] + serveArguments,
                                     environment: ["ZTP_BENCH_SECRET": secret.bytes.lowercaseHex,
                                                   "ZTP_BENCH_SEED": identity.seed.bytes.lowercaseHex],
                                     logDirectory: scratch)
        guard let port = Int(try await child.waitForLine(prefix: "ready ")) else { throw BenchError("serve printed no port") }
        return BenchServer(process: child, port: port, serverKey: identity.publicKey)
    }

    /// A token for the bench server's `bench` role, valid for a day.
    func token(client: String, role: String = ServeCommand.role, secret: SecretBytes? = nil) -> String {
        let issued = Int64(Date().timeIntervalSince1970)
        return TokenMinter(secret: secret ?? self.secret)
            .mint(TokenClaims(subject: client, role: role, issuedAt: issued, expiresAt: issued + 86_400, id: TokenMinter.newTokenID()))
    }

    /// A baseline measured at most once per invocation.
    func baseline(_ name: String, measure: () async throws -> Double) async throws -> Double {
        if let value = cache[name] { return value }
        let value = try await measure()
        cache[name] = value
        report.baselines[name] = value
        return value
    }

    func note(_ text: String) {
        log("  note: \(text)")
        report.notes.append(text)
    }

    func cleanUp() {
        try? FileManager.default.removeItem(atPath: scratch)
    }
}

/// A running `ztp-bench serve`.
struct BenchServer: Sendable {
    let process: ChildProcess
    let port: Int
    let serverKey: [UInt8]

    func connect(token: String) async throws -> ZTPClient {
        try await ZTPClient.connect(host: "127.0.0.1", port: port, token: token, trust: .pinned(serverKey))
    }

    func stats() throws -> ProcStats { try process.stats() }

    func stop() { process.stop() }
}
