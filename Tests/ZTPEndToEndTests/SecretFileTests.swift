import Foundation
import Testing
import ZTPTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The data directory and its secrets, as the real server treats them: kept owner-only, refused
/// when others can read them, and the admin key shown only where an operator reads it.
@Suite("Secrets on disk")
struct SecretFileTests {
    static func arguments(dataDirectory: URL) -> [String] {
        ["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--data-dir", dataDirectory.path, "--no-demo-token"]
    }

    /// A fresh working directory with an empty `data` folder of the given mode in it; `prepare`
    /// may put files in it before it is handed to the user the server runs as.
    static func withDataDirectory<T>(mode: mode_t, prepare: (URL) throws -> Void = { _ in },
                                     _ body: (URL) async throws -> T) async throws -> T {
        let work = try TestPaths.makeTemporaryDirectory(prefix: "ztp-e2e-secrets")
        defer { try? FileManager.default.removeItem(at: work) }
        let data = work.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: false)
        guard chmod(data.path, mode) == 0 else { throw E2EFailure("chmod \(data.path) failed") }
        try prepare(data)
        try Unprivileged.handOver(work)
        return try await body(data)
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        guard let mode = attributes[.posixPermissions] as? NSNumber else { throw E2EFailure("no mode for \(path)") }
        return mode.intValue & 0o777
    }

    @Test("a data directory open to group or others stops the server: non-zero exit, the chmod to run, nothing written")
    func looseDirectory() async throws {
        for mode: mode_t in [0o755, 0o750] {
            try await Self.withDataDirectory(mode: mode) { data in
                let result = try await ChildProcess.run(try TestPaths.serverBinary(), Self.arguments(dataDirectory: data))
                #expect(result.status != 0)
                #expect(result.stderr.contains("chmod 700 \(data.path)"), "stderr: \(result.stderr)")
                #expect(result.stderr.contains("0\(String(mode, radix: 8))"), "stderr: \(result.stderr)")
                #expect(try FileManager.default.contentsOfDirectory(atPath: data.path).isEmpty, "no key was written")
            }
        }
    }

    @Test("a key file open to group or others stops the server with the chmod 600 to run",
          arguments: ["identity.key", "token.secret", "admin.key"])
    func looseKeyFile(name: String) async throws {
        let secret = String(repeating: "ab", count: 32) + "\n"
        try await Self.withDataDirectory(mode: 0o700, prepare: { data in
            let file = data.appendingPathComponent(name)
            try Data(secret.utf8).write(to: file)
            guard chmod(file.path, 0o644) == 0 else { throw E2EFailure("chmod \(file.path) failed") }
        }) { data in
            let file = data.appendingPathComponent(name)
            let result = try await ChildProcess.run(try TestPaths.serverBinary(), Self.arguments(dataDirectory: data))
            #expect(result.status != 0)
            #expect(result.stderr.contains("chmod 600 \(file.path)"), "stderr: \(result.stderr)")
            #expect(result.stderr.contains("0644"), "stderr: \(result.stderr)")
            #expect(!result.stderr.contains(String(repeating: "ab", count: 32)), "the secret is never shown")
            #expect(try FileManager.default.contentsOfDirectory(atPath: data.path) == [name], "nothing else was written")
            #expect(try Self.mode(file.path) == 0o644, "the server does not change the operator's file")
        }
    }

    @Test("first start, stdout not a terminal: the admin key is only in its file, which the log names; keys 0600, directory 0700")
    func firstStartWithoutTerminal() async throws {
        try await withServer { server in
            let keyFile = server.file("admin.key").path
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key.count == 64)
            let log = server.log
            #expect(!log.contains(key), "the admin key is not in the log")
            #expect(log.contains(keyFile), "the log names the key's file:\n\(log)")
            #expect(try Self.mode(server.dataDirectory.path) == 0o700)
            for name in ["identity.key", "token.secret", "admin.key", "demo.token", "server.pub", "ztp.sqlite"] {
                #expect(try Self.mode(server.file(name).path) == 0o600, "\(name)")
            }
            let names = try FileManager.default.contentsOfDirectory(atPath: server.dataDirectory.path)
            #expect(!names.contains { $0.contains(".tmp-") }, "no temporary file is left: \(names)")
        }
    }

    @Test("first start, stdout a terminal: the admin key is printed there once, and never to the log")
    func firstStartOnTerminal() async throws {
        try await Self.withDataDirectory(mode: 0o700) { data in
            let terminal = try PseudoTerminal()
            defer { terminal.close() }
            let logPath = data.deletingLastPathComponent().appendingPathComponent("server.log").path
            let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
            defer {
                close(log)
                close(input)
            }
            let process = try SpawnedProcess.spawn(try TestPaths.serverBinary(), Self.arguments(dataDirectory: data),
                                                   directory: nil, environment: TestPaths.cleanEnvironment(),
                                                   stdin: input, stdout: terminal.replica, stderr: log)
            defer {
                process.killGroup()
            }
            let printed = try await terminal.waitForLine(containing: "admin key (also in", within: .seconds(20))
            process.signal(SIGTERM)
            _ = await process.waitForExit(timeout: .seconds(10))
            let key = try String(contentsOf: data.appendingPathComponent("admin.key"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(printed.contains(key), "printed: \(printed)")
            #expect(printed.contains(data.appendingPathComponent("admin.key").path))
            let logText = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            #expect(!logText.contains(key), "the log never carries the key:\n\(logText)")
        }
    }
}

/// A pseudo-terminal: the child gets the replica as its stdout, the test reads the primary.
final class PseudoTerminal {
    let primary: Int32
    let replica: Int32
    private var output: [UInt8] = []

    init() throws {
        guard let functions = Self.functions else { throw E2EFailure("posix_openpt, grantpt, unlockpt or ptsname_r is missing") }
        primary = functions.open(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard primary >= 0, functions.grant(primary) == 0, functions.unlock(primary) == 0 else {
            throw E2EFailure("no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        var name = [CChar](repeating: 0, count: 128)
        guard functions.name(primary, &name, name.count) == 0 else { throw E2EFailure("ptsname_r failed") }
        let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        replica = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard replica >= 0 else { throw E2EFailure("cannot open \(path)") }
        _ = fcntl(primary, F_SETFL, fcntl(primary, F_GETFL) | O_NONBLOCK)
    }

    /// glibc's pseudo-terminal calls, which Swift's Glibc module does not import (they need
    /// `_XOPEN_SOURCE`); plain C functions, so they are looked up by name.
    private struct Functions {
        var open: @convention(c) (Int32) -> Int32
        var grant: @convention(c) (Int32) -> Int32
        var unlock: @convention(c) (Int32) -> Int32
        var name: @convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32
    }

    private static let functions: Functions? = {
        let process = dlopen(nil, RTLD_NOW)
        guard let open = dlsym(process, "posix_openpt"), let grant = dlsym(process, "grantpt"),
              let unlock = dlsym(process, "unlockpt"), let name = dlsym(process, "ptsname_r") else { return nil }
        return Functions(open: unsafeBitCast(open, to: (@convention(c) (Int32) -> Int32).self),
                         grant: unsafeBitCast(grant, to: (@convention(c) (Int32) -> Int32).self),
                         unlock: unsafeBitCast(unlock, to: (@convention(c) (Int32) -> Int32).self),
                         name: unsafeBitCast(name, to: (@convention(c) (Int32, UnsafeMutablePointer<CChar>, Int) -> Int32).self))
    }()

    /// Reads until a whole line containing `text` has arrived; returns that line.
    func waitForLine(containing text: String, within timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            let count = read(primary, &buffer, buffer.count)
            if count > 0 { output += buffer[..<count] }
            // Split on the byte: a terminal ends lines with "\r\n", which Swift's String keeps as one
            // Character. The last piece has no newline yet: it may be incomplete.
            let lines = output.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            if let line = lines.dropLast().first(where: { $0.contains(text) }) { return line }
            if count <= 0 { try await Task.sleep(for: .milliseconds(20)) }
        }
        throw E2EFailure("no line with '\(text)' on the terminal within \(timeout): \(String(decoding: output, as: UTF8.self))")
    }

    func close() {
        Glibc.close(primary)
        Glibc.close(replica)
    }
}
