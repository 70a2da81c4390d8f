import Foundation
import ZTPTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A short-lived child process (the CLIs), with its output in files so that nothing blocks on
/// a full pipe, stdin a pipe the test may write to, and a bound on how long it may run.
final class ChildProcess: Sendable {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    private let process: SpawnedProcess
    /// The write end of the child's stdin; -1 once closed (only the owning test uses it).
    private let input: InputPipe
    private let directory: URL
    private let name: String

    private init(process: SpawnedProcess, input: InputPipe, directory: URL, name: String) {
        self.process = process
        self.input = input
        self.directory = directory
        self.name = name
    }

    static func start(_ executable: String, _ arguments: [String], in workingDirectory: URL? = nil,
                      environment: [String: String] = [:]) throws -> ChildProcess {
        let directory = try TestPaths.makeTemporaryDirectory(prefix: "ztp-e2e-child")
        let stdout = open(directory.appendingPathComponent("stdout").path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let stderr = open(directory.appendingPathComponent("stderr").path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        var fds: [Int32] = [0, 0]
        guard stdout >= 0, stderr >= 0, pipe(&fds) == 0 else { throw E2EFailure("cannot set up the child's files") }
        defer {
            close(stdout)
            close(stderr)
            close(fds[0])
        }
        // The write end must not leak into the child, or its stdin never reaches EOF.
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        let process = try SpawnedProcess.spawn(executable, arguments, directory: workingDirectory?.path,
                                               environment: TestPaths.cleanEnvironment(adding: environment),
                                               stdin: fds[0], stdout: stdout, stderr: stderr)
        return ChildProcess(process: process, input: InputPipe(fds[1]), directory: directory,
                            name: URL(fileURLWithPath: executable).lastPathComponent)
    }

    /// Runs to the end (killed after `timeout`) with stdin closed.
    static func run(_ executable: String, _ arguments: [String], in workingDirectory: URL? = nil,
                    environment: [String: String] = [:], timeout: Duration = .seconds(20)) async throws -> Result {
        let child = try start(executable, arguments, in: workingDirectory, environment: environment)
        child.closeInput()
        return try await child.finish(within: timeout)
    }

    /// The program's own pid (`setpriv` execs it).
    var pid: pid_t { process.pid }

    var stdout: String { read("stdout") }
    var stderr: String { read("stderr") }

    private func read(_ file: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)) ?? ""
    }

    func write(_ text: String) {
        input.write(Array(text.utf8))
    }

    func closeInput() {
        input.close()
    }

    /// Waits until stdout contains `text`; false on timeout or exit without it.
    func waitForOutput(containing text: String, within timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if stdout.contains(text) { return true }
            if process.status != nil { return stdout.contains(text) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits for the exit (SIGKILL after `timeout`, then a failure) and returns the output.
    /// - Parameter closingInput: false to keep stdin open, for a child that must end by itself.
    func finish(within timeout: Duration = .seconds(20), closingInput: Bool = true) async throws -> Result {
        if closingInput { closeInput() }
        defer { try? FileManager.default.removeItem(at: directory) }
        if let status = await process.waitForExit(timeout: timeout) {
            return Result(status: status, stdout: stdout, stderr: stderr)
        }
        process.killGroup()
        _ = await process.waitForExit(timeout: .seconds(5))
        throw E2EFailure("\(name) did not exit within \(timeout)\nstdout: \(stdout)\nstderr: \(stderr)")
    }
}

/// The test's end of a child's stdin.
private final class InputPipe: Sendable {
    private let descriptor: LockedBox<Int32>

    init(_ descriptor: Int32) {
        self.descriptor = LockedBox(descriptor)
    }

    func write(_ bytes: [UInt8]) {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    func close() {
        descriptor.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    deinit {
        close()
    }
}
