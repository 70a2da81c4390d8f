import Foundation
import ZTPTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, in its own process group, with an empty signal
/// mask, default signal handlers, and no descriptors but stdin, stdout and stderr.
///
/// Foundation's `Process` hands the child the signal mask of the thread that starts it, and
/// Swift's concurrency and NIO threads block nearly every signal: a server started that way
/// never sees SIGTERM. Tests of graceful shutdown need the signal delivered as a shell would.
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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Nothing else of this process leaks into the child: not another test's sockets (a
        // listening probe inherited by a server would hold its port), pipes or files.
        guard let closeFrom = closeFrom else { throw E2EFailure("posix_spawn_file_actions_addclosefrom_np is not available") }
        _ = closeFrom(&actions, 3)
        if let directory {
            guard let addChdir = addChdir else { throw E2EFailure("posix_spawn_file_actions_addchdir_np is not available") }
            _ = addChdir(&actions, directory)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let (path, arguments) = Unprivileged.command(path, arguments)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw E2EFailure("posix_spawn \(path) failed: \(String(cString: strerror(result)))") }
        return SpawnedProcess(pid: pid)
    }

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift does not import.
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addChdir: AddChdir? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: AddChdir.self)
    }()

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+).
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let closeFrom: CloseFrom? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

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
