import Foundation
import ZTPTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `PosixSpawn` (its own process group, an empty signal mask, no
/// inherited descriptors), so tests of graceful shutdown get SIGTERM delivered as a shell would.
/// When the tests run as root, the child runs unprivileged (`Unprivileged`).
final class SpawnedProcess: Sendable {
    let pid: pid_t
    private let exitStatus = ExitStatus()

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `path` with `arguments`; the child's stdin, stdout and stderr are the given
    /// descriptors (dup'ed, so the caller may close its copies afterwards).
    static func spawn(_ path: String, _ arguments: [String], directory: String?, environment: [String: String],
                      stdin: Int32, stdout: Int32, stderr: Int32) throws -> SpawnedProcess {
        let (path, arguments) = Unprivileged.command(path, arguments)
        let pid = try PosixSpawn.spawn(path, arguments, environment: environment, stdin: stdin, stdout: stdout,
                                       stderr: stderr, directory: directory)
        return SpawnedProcess(pid: pid)
    }

    /// The exit status once the child has ended (128 + n when killed by signal n); reaps it.
    var status: Int32? {
        if let known = exitStatus.value { return known }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return exitStatus.value }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = raw & 0x7F
        let status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        exitStatus.set(status)
        return status
    }

    func signal(_ signal: Int32) {
        guard status == nil else { return }
        kill(pid, signal)
    }

    /// SIGKILL to the child's whole process group (a wrapper and what it started).
    func killGroup() {
        kill(-pid, SIGKILL)
    }

    /// Waits for the exit; nil when still running after `timeout`.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return status
    }
}
