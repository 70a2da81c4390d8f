import Foundation
import Glibc
import Testing
import ZTPClient
import ZTPCore
import ZTPTestSupport
@testable import ZTPManagement

/// Every test of the management API against the real `ztp-server` process.
///
/// Serialized (nested suites inherit it): each test runs its own server process, and on a
/// two-core machine several at once would only make the timing checks flaky.
@Suite(.serialized)
enum ManagementAPITests {}

/// A `ztp-server` child process on free loopback ports with a fresh data directory (or a
/// given one, to restart on it) and a known admin key; stopped with SIGTERM. When the tests
/// run as root, the server runs unprivileged (`Unprivileged`).
final class ManagementAPIServer: @unchecked Sendable {
    /// A failure of the harness itself (binary missing, server did not start, timeout).
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let adminKey = "test-admin-key-0123456789"

    /// The package root, from this file's path: Tests/ZTPManagementTests/<file>.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var executable: URL { packageRoot.appendingPathComponent(".build/debug/ztp-server") }

    let dataDirectory: String
    let ztpPort: Int
    let httpPort: Int
    private let process: Process
    private let ownsDirectory: Bool
    /// The terminal's controlling side when the server's stdout is a pseudo-terminal.
    private let terminal: Int32?

    var logFile: String { dataDirectory + "/server-\(httpPort).log" }

    /// Starts a server and waits until `/readyz` answers 200. Without `dataDirectory`, a new
    /// temporary one is made and removed by `stop()`. Without `adminKeyInEnvironment`, the server
    /// reads or creates `DATA_DIR/admin.key`. With `stdoutTerminal`, the server's stdout is a
    /// pseudo-terminal (read with `terminalOutput()`) instead of the log file.
    init(dataDirectory: String? = nil, adminKeyInEnvironment: Bool = true, stdoutTerminal: Bool = false) async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            throw Failure(description: "\(Self.executable.path) is missing: run `swift build` first")
        }
        if let dataDirectory {
            self.dataDirectory = dataDirectory
            ownsDirectory = false
        } else {
            self.dataDirectory = NSTemporaryDirectory() + "ztp-api-\(UUID().uuidString)"
            // Owner-only, as the server demands of a data directory.
            try FileManager.default.createDirectory(atPath: self.dataDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            ownsDirectory = true
        }
        try Unprivileged.handOver(URL(fileURLWithPath: self.dataDirectory))
        let (launcher, launcherArguments) = Unprivileged.command(try Unprivileged.executable(Self.executable.path), [])
        var lastFailure: Failure?
        // A port picked free can be taken before the server binds it; then pick again.
        for _ in 0..<3 {
            let ports = try Self.freePorts(2)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: launcher)
            process.arguments = launcherArguments + ["--listen", "127.0.0.1:\(ports[0])", "--http-listen", "127.0.0.1:\(ports[1])",
                                                     "--data-dir", self.dataDirectory]
            var environment = ProcessInfo.processInfo.environment
            environment["ZTP_ADMIN_KEY"] = adminKeyInEnvironment ? Self.adminKey : nil
            environment["ZTP_NO_DEMO_TOKEN"] = "1"
            // From the package root, so the server serves this package's openapi.yaml and Public/.
            // Relative, because an unprivileged server may not search the folders above the
            // package (a CI clone under `mktemp -d`) but may the ones below its working directory.
            environment["ZTP_RESOURCES"] = "."
            process.environment = environment
            process.currentDirectoryURL = Self.packageRoot
            let log = self.dataDirectory + "/server-\(ports[1]).log"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            var terminalFDs: (controller: Int32, device: Int32)?
            if stdoutTerminal {
                var controller: Int32 = -1, device: Int32 = -1
                guard openpty(&controller, &device, nil, nil, nil) == 0 else {
                    throw Failure(description: "openpty: errno \(errno)")
                }
                terminalFDs = (controller, device)
                process.standardOutput = FileHandle(fileDescriptor: device, closeOnDealloc: false)
            } else {
                process.standardOutput = handle
            }
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try? handle.close()
            // Only the child keeps the terminal device open: its output then ends with EIO.
            if let terminalFDs { close(terminalFDs.device) }
            do {
                try await Self.waitReady(process: process, httpPort: ports[1], log: log)
                self.process = process
                self.ztpPort = ports[0]
                self.httpPort = ports[1]
                self.terminal = terminalFDs?.controller
                return
            } catch let failure as Failure {
                lastFailure = failure
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                if let terminalFDs { close(terminalFDs.controller) }
            }
        }
        if ownsDirectory { try? FileManager.default.removeItem(atPath: self.dataDirectory) }
        throw lastFailure ?? Failure(description: "ztp-server did not start")
    }

    private static func waitReady(process: Process, httpPort: Int, log: String) async throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            guard process.isRunning else {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw Failure(description: "ztp-server exited (\(process.terminationStatus)) before it was ready:\n\(text)")
            }
            if let ready = try? await ManagementAPIHTTP.send("GET", "/readyz", port: httpPort, key: nil), ready.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "ztp-server was not ready on port \(httpPort) within 20 s")
    }

    /// `count` distinct ports the kernel reports free on 127.0.0.1.
    static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        var ports: [Int] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else { throw Failure(description: "bind: errno \(errno)") }
            ports.append(Int(UInt16(bigEndian: address.sin_port)))
        }
        return ports
    }

    /// The server's identity key, as `DATA_DIR/server.pub` holds it (hex).
    var publicKeyHex: String {
        get throws {
            try String(contentsOfFile: dataDirectory + "/server.pub", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    var publicKey: [UInt8] {
        get throws {
            let hex = Array(try publicKeyHex.utf8)
            return stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
        }
    }

    var isRunning: Bool { process.isRunning }

    /// An HTTP request to this server, with the admin key unless `key` says otherwise.
    func request(
        _ method: String, _ target: String, key: String? = ManagementAPIServer.adminKey,
        headers: [String: String] = [:], body: [UInt8] = []
    ) async throws -> HTTPTestResponse {
        try await ManagementAPIHTTP.send(method, target, port: httpPort, key: key, headers: headers, body: body)
    }

    /// GET `target` with the admin key, expecting 200 and a JSON object.
    func getJSON(_ target: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ManagementAPIJSON {
        let response = try await request("GET", target)
        #expect(response.status == 200, "GET \(target): \(response.status) \(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers["content-type"] == "application/json; charset=utf-8", sourceLocation: sourceLocation)
        return try ManagementAPIJSON(parsing: response.body)
    }

    /// POST /v1/tokens, expecting 201; returns the issued token's JSON.
    func issueToken(clientID: String, role: String = "user", ttl: Int? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation) async throws -> ManagementAPIJSON {
        var body = #"{"client_id":"\#(clientID)","role":"\#(role)""#
        if let ttl { body += #","ttl_seconds":\#(ttl)"# }
        body += "}"
        let response = try await request("POST", "/v1/tokens", headers: ["Content-Type": "application/json"], body: Array(body.utf8))
        guard response.status == 201 else {
            throw Failure(description: "POST /v1/tokens \(body): \(response.status) \(response.text)")
        }
        return try ManagementAPIJSON(parsing: response.body)
    }

    /// A ZTP client connected with `token`, trusting only this server's key.
    func connect(token: String) async throws -> ZTPClient {
        try await ZTPClient.connect(host: "127.0.0.1", port: ztpPort, token: token, trust: .pinned(try publicKey),
                                    handshakeTimeout: 5)
    }

    /// The error a handshake with `token` fails with; a failure if it succeeds.
    func refusal(token: String) async throws -> ZTPClientError {
        do {
            let client = try await connect(token: token)
            await client.close()
            throw Failure(description: "the handshake succeeded")
        } catch let error as ZTPClientError {
            return error
        }
    }

    /// The current `/metrics`, parsed.
    func metrics(sourceLocation: SourceLocation = #_sourceLocation) async throws -> ManagementAPIPrometheus {
        let response = try await request("GET", "/metrics", key: nil)
        #expect(response.status == 200, sourceLocation: sourceLocation)
        return try ManagementAPIPrometheus(parsing: response.text)
    }

    /// Everything the server wrote to its terminal stdout; call after `stop()`.
    func terminalOutput() -> String {
        guard let terminal else { return "" }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(terminal, &buffer, buffer.count)
            guard count > 0 else { break }  // EIO once the exited server's output is drained
            output += buffer[0..<count]
        }
        close(terminal)
        return String(decoding: output, as: UTF8.self)
    }

    /// SIGTERM, then waits for exit (SIGKILL after 10 s); returns the exit status. Removes the
    /// data directory if this server made it. The wait runs on a thread of its own: a blocked
    /// cooperative thread would stall every other test's tasks meanwhile.
    @discardableResult
    func stop(removeDirectory: Bool = true) async -> Int32 {
        await offPool { self.stopWaiting(removeDirectory: removeDirectory) }
    }

    /// For `defer`: SIGTERM now; a thread of its own waits for the exit and removes the
    /// data directory.
    func stopInBackground(removeDirectory: Bool = true) {
        Thread.detachNewThread { _ = self.stopWaiting(removeDirectory: removeDirectory) }
    }

    private func stopWaiting(removeDirectory: Bool) -> Int32 {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        if removeDirectory, ownsDirectory { try? FileManager.default.removeItem(atPath: dataDirectory) }
        return process.terminationStatus
    }

    /// `kill -9`: no chance to flush or shut down; the data directory stays.
    func crash() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Plain HTTP/1.1 requests over `HTTPTestConnection`, run off the cooperative thread pool
/// because the socket calls block.
enum ManagementAPIHTTP {
    static func send(
        _ method: String, _ target: String, port: Int, key: String?,
        headers: [String: String] = [:], body: [UInt8] = []
    ) async throws -> HTTPTestResponse {
        var headers = headers
        if let key, headers["Authorization"] == nil { headers["Authorization"] = "Bearer \(key)" }
        let request = headers
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try HTTPTestConnection.request(method, target, port: port, headers: request, body: body)
                })
            }
        }
    }
}

/// Runs `body` until it returns true, at most `seconds`; false if it never did. A throw counts
/// as false.
func managementAPIEventually(_ seconds: Double = 5, _ body: () async throws -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if (try? await body()) == true { return true }
        try? await Task.sleep(for: .milliseconds(50))
    } while Date() < deadline
    return (try? await body()) == true
}

/// `body`'s result, or a failure after `seconds` (so a missing CLOSE fails instead of hanging).
func managementAPIWithin<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw ManagementAPIServer.Failure(description: "timed out after \(seconds) s waiting for \(what)")
        }
        return value
    }
}

/// Reads one message from a stream, failing after `seconds`.
func managementAPIReceive(_ stream: ZTPStream, within seconds: Double = 5) async throws -> String {
    try await managementAPIWithin(seconds, "a message on stream \(stream.id)") {
        var iterator = stream.makeAsyncIterator()
        guard let message = try await iterator.next() else {
            throw ManagementAPIServer.Failure(description: "stream \(stream.id) ended")
        }
        return String(decoding: message, as: UTF8.self)
    }
}
