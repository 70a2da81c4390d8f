import Foundation
import NIOCore
import NIOPosix
import ZTPClient
import ZTPCore
import ZTPTestSupport

/// One `ztp-server` process for one test: free ports, a fresh working and data directory, and
/// a bounded stop (SIGTERM, then SIGKILL) at the end.
///
/// The binary is the package's `.build/debug/ztp-server`, found from this file's path. It runs
/// under `timeout(1)` when available, so a test run that dies cannot leave servers behind for
/// long; `timeout` passes SIGTERM on and exits with the server's status.
final class ServerProcess: Sendable {
    let port: Int
    let httpPort: Int
    /// The server's working directory (a fresh temporary directory).
    let workDirectory: URL
    /// Where the server keeps its keys and tokens.
    let dataDirectory: URL
    let logFile: URL
    /// The server's Ed25519 public key, from `server.pub`.
    let serverKey: [UInt8]
    let tokenSecret: SecretBytes
    private let process: SpawnedProcess

    private init(port: Int, httpPort: Int, workDirectory: URL, dataDirectory: URL, logFile: URL,
                 serverKey: [UInt8], tokenSecret: SecretBytes, process: SpawnedProcess) {
        self.port = port
        self.httpPort = httpPort
        self.workDirectory = workDirectory
        self.dataDirectory = dataDirectory
        self.logFile = logFile
        self.serverKey = serverKey
        self.tokenSecret = tokenSecret
        self.process = process
    }

    /// Short timeouts so idle rules show within seconds.
    static let quickTimeouts = ["--stream-idle-timeout", "2", "--heartbeat-interval", "1"]

    /// Starts a server and waits until it has logged its listener's address (its own line, so
    /// another process on the port cannot pass for it) and both ports accept connections.
    /// - Parameters:
    ///   - arguments: extra flags (`--max-streams 1`, `--policy FILE`, ...).
    ///   - dataDirFlag: false to start without `--data-dir`, so the server uses `./ztp-data`.
    static func start(_ arguments: [String] = quickTimeouts, dataDirFlag: Bool = true,
                      prepare: (URL) throws -> Void = { _ in }) async throws -> ServerProcess {
        var lastFailure = ""
        // A free port can be taken by someone else before the server binds it: try again.
        for _ in 0..<3 {
            let work = try TestPaths.makeTemporaryDirectory(prefix: "ztp-e2e-server")
            try prepare(work)
            try Unprivileged.handOver(work)
            let (port, httpPort) = try await freePorts()
            let dataDirectory = dataDirFlag ? work.appendingPathComponent("data") : work.appendingPathComponent("ztp-data")
            var serverArguments = ["--listen", "127.0.0.1:\(port)", "--http-listen", "127.0.0.1:\(httpPort)"]
            if dataDirFlag { serverArguments += ["--data-dir", dataDirectory.path] }
            // Instrumented runs (ThreadSanitizer: ZTP_TEST_TIME_SCALE) are several times slower,
            // and a client starved for 2 s between connect and CLIENT_HELLO is cut off: the
            // deadlines a client must meet stretch as the tests' own waits do. A test's own
            // flags come after these and win.
            if TestTime.scale > 1 {
                serverArguments += ["--client-hello-timeout", "\(2 * TestTime.scale)",
                                    "--handshake-timeout", "\(10 * TestTime.scale)"]
            }
            serverArguments += arguments
            let logFile = work.appendingPathComponent("server.log")
            let process = try launch(TestPaths.serverBinary(), serverArguments, in: work, log: logFile)
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if process.status != nil { break }
                let listening = (try? String(contentsOf: logFile, encoding: .utf8))?.contains("127.0.0.1:\(port) server_key=") ?? false
                if listening, await accepts(port: port), await accepts(port: httpPort), process.status == nil {
                    let key = try readHex(dataDirectory.appendingPathComponent("server.pub"), count: 32)
                    let secret = try readHex(dataDirectory.appendingPathComponent("token.secret"), count: 32)
                    return ServerProcess(port: port, httpPort: httpPort, workDirectory: work, dataDirectory: dataDirectory,
                                         logFile: logFile, serverKey: key, tokenSecret: SecretBytes(secret),
                                         process: process)
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            if let status = process.status {
                lastFailure = "ztp-server exited with status \(status) before listening:\n\(log)"
            } else {
                process.killGroup()
                _ = await process.waitForExit(timeout: .seconds(5))
                lastFailure = "ztp-server did not accept on 127.0.0.1:\(port) within 20 s:\n\(log)"
            }
            print("ztp-server start failed, trying other ports: \(lastFailure)")
            try? FileManager.default.removeItem(at: work)
        }
        throw E2EFailure(lastFailure)
    }

    private static func launch(_ binary: String, _ arguments: [String], in directory: URL, log: URL) throws -> SpawnedProcess {
        let output = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard output >= 0, input >= 0 else { throw E2EFailure("cannot open \(log.path) or /dev/null") }
        defer {
            close(output)
            close(input)
        }
        let (executable, allArguments) = TestPaths.timeoutBinary.map { ($0, ["--kill-after=5", "300", binary] + arguments) }
            ?? (binary, arguments)
        return try SpawnedProcess.spawn(executable, allArguments, directory: directory.path,
                                        environment: TestPaths.cleanEnvironment(), stdin: input, stdout: output, stderr: output)
    }

    /// Two distinct ports free right now, drawn at random below the kernel's ephemeral range
    /// (32768 and up on Linux), where no outgoing connection can take them before the server
    /// binds. Should one be taken all the same, the server exits and `start` tries again.
    private static func freePorts() async throws -> (Int, Int) {
        var chosen: [Int] = []
        for _ in 0..<200 where chosen.count < 2 {
            let candidate = Int.random(in: 20_000..<32_000)
            if !chosen.contains(candidate), await isFree(candidate) { chosen.append(candidate) }
        }
        guard chosen.count == 2 else { throw E2EFailure("no free ports found in 20000-31999") }
        return (chosen[0], chosen[1])
    }

    private static func isFree(_ port: Int) async -> Bool {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        guard let channel = try? await bootstrap.bind(host: "127.0.0.1", port: port).get() else { return false }
        try? await channel.close()
        return true
    }

    /// Whether a TCP connect to the port succeeds (the probe closes at once; the server sees a
    /// connection that never started its handshake).
    static func accepts(port: Int) async -> Bool {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connectTimeout(.seconds(1))
        guard let channel = try? await bootstrap.connect(host: "127.0.0.1", port: port).get() else { return false }
        try? await channel.close()
        return true
    }

    private static func readHex(_ file: URL, count: Int) throws -> [UInt8] {
        let text = try String(contentsOf: file, encoding: .utf8)
        guard let bytes = [UInt8](hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == count else {
            throw E2EFailure("\(file.path) does not hold \(count * 2) hex digits")
        }
        return bytes
    }

    // MARK: Using the server

    /// A token signed with this server's secret; any claims, including ones it must refuse.
    func token(client: String, role: String, ttl: Int64 = 600, issuedAt: Int64? = nil,
               id: String = TokenMinter.newTokenID()) -> String {
        let now = issuedAt ?? Int64(Date().timeIntervalSince1970)
        return TokenMinter(secret: tokenSecret).mint(TokenClaims(subject: client, role: role, issuedAt: now,
                                                                 expiresAt: now + ttl, id: id))
    }

    /// A library client with a fresh token, pinned to this server's key.
    func connect(_ client: String, role: String = "user") async throws -> ZTPClient {
        try await connect(token: token(client: client, role: role))
    }

    func connect(token: String, trust: ClientHandshake.ServerTrust? = nil) async throws -> ZTPClient {
        try await ZTPClient.connect(host: "127.0.0.1", port: port, token: token, trust: trust ?? .pinned(serverKey))
    }

    func file(_ name: String) -> URL {
        dataDirectory.appendingPathComponent(name)
    }

    var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// The exit status once the process has ended.
    var status: Int32? { process.status }

    /// Sends a signal (SIGTERM for graceful shutdown); `timeout(1)` passes it on.
    func signal(_ signal: Int32) {
        process.signal(signal)
    }

    /// Waits for the process to end; nil when it is still running after `timeout`.
    func waitForExit(timeout: Duration) async -> Int32? {
        await process.waitForExit(timeout: timeout)
    }

    /// SIGKILL to the server (and `timeout`): no graceful anything, as a crash or `kill -9`.
    func kill() async {
        process.killGroup()
        _ = await waitForExit(timeout: .seconds(5))
    }

    /// SIGTERM, then SIGKILL to the process group after five seconds; removes the working
    /// directory. Returns the exit status.
    @discardableResult
    func stop() async -> Int32? {
        signal(SIGTERM)
        var result = await waitForExit(timeout: .seconds(5))
        if result == nil {
            process.killGroup()
            result = await waitForExit(timeout: .seconds(5))
        }
        try? FileManager.default.removeItem(at: workDirectory)
        return result
    }
}

/// Runs `body` with a server of its own, and stops the server whatever happens. At most a few
/// tests run servers at once (`ServerSlots`), so parallel tests do not starve each other's timers.
func withServer<T>(_ arguments: [String] = ServerProcess.quickTimeouts, dataDirFlag: Bool = true,
                   prepare: (URL) throws -> Void = { _ in },
                   _ body: (ServerProcess) async throws -> T) async throws -> T {
    let takesSlot = !ServerSlots.holding
    if takesSlot { await ServerSlots.shared.acquire() }
    defer { if takesSlot { Task { await ServerSlots.shared.release() } } }
    let server = try await ServerProcess.start(arguments, dataDirFlag: dataDirFlag, prepare: prepare)
    do {
        let result = try await ServerSlots.$holding.withValue(true) { try await body(server) }
        await server.stop()
        return result
    } catch {
        print("--- ztp-server log (port \(server.port)) ---\n\(server.log)--- end of log ---")
        await server.stop()
        throw error
    }
}

/// A test failure with a message that says what was expected.
struct E2EFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
