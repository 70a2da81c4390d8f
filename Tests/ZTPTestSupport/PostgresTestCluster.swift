import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server for the tests: one per test process, shared by every suite,
/// with a fresh database for each test that asks (`makeDatabase()`).
///
/// Started on first use from Debian's `postgresql` binaries (`make setup-test` installs them):
/// `initdb -A trust` into a temporary directory, then `pg_ctl start` on a free loopback port,
/// its socket in that directory. When the tests are root, the server runs as the unprivileged
/// test account (PostgreSQL refuses to run as root). fsync is off: the cluster is gone when
/// the process exits (an `atexit` handler stops it and removes the directory), so durability
/// across a machine crash is not what these tests measure. Where PostgreSQL is not installed,
/// `isInstalled` is false and the PostgreSQL cases are skipped, loudly.
public final class PostgresTestCluster: Sendable {
    public let port: Int
    /// The superuser `initdb` made; trusted, no password.
    public let user = "ztp"
    let directory: String
    let bin: String

    private init(port: Int, directory: String, bin: String) {
        self.port = port
        self.directory = directory
        self.bin = bin
    }

    /// The folder of `initdb` and `pg_ctl`, e.g. /usr/lib/postgresql/15/bin; nil if not installed.
    public static let binDirectory: String? = {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        return versions.map { "\(root)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: "\($0)/initdb") && FileManager.default.isExecutableFile(atPath: "\($0)/pg_ctl")
        }
    }()

    public static var isInstalled: Bool { binDirectory != nil }

    /// Printed once by a suite that skips its PostgreSQL cases.
    public static let notInstalledMessage = """
        ******************************************************************************
        ** PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb):         **
        ** the PostgreSQL cases are SKIPPED. `make setup-test` installs it.           **
        ******************************************************************************
        """

    /// The process's cluster, started on first use; throws if it cannot start (installed
    /// but broken is a failure, not a skip).
    public static func shared() throws -> PostgresTestCluster {
        try sharedState.withLock { state in
            if let cluster = state.cluster { return cluster }
            if let failure = state.failure { throw PostgresTestFailure(failure) }
            do {
                let cluster = try start()
                state.cluster = cluster
                atexit { PostgresTestCluster.stopShared() }
                return cluster
            } catch {
                state.failure = "\(error)"
                throw error
            }
        }
    }

    private struct SharedState {
        var cluster: PostgresTestCluster?
        var failure: String?
    }

    private static let sharedState = LockedBox(SharedState())

    /// How long starting the cluster took (initdb plus pg_ctl start), for the record.
    public static let startTimes = LockedBox<[Duration]>([])

    private static func start() throws -> PostgresTestCluster {
        guard let bin = binDirectory else { throw PostgresTestFailure("PostgreSQL is not installed") }
        let began = ContinuousClock.now
        stopOrphans(bin: bin)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(folderPrefix)\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "\(getpid())\n".write(toFile: directory + "/" + ownerFile, atomically: true, encoding: .utf8)
        // The server's account must reach the folder (mktemp-style folders are 0700).
        chmod(directory, 0o755)
        try Unprivileged.handOver(URL(fileURLWithPath: directory))
        try run(bin + "/initdb", ["-A", "trust", "-U", "ztp", "-E", "UTF8", "--locale=C", "--no-sync", "-D", directory + "/data"],
                log: directory + "/initdb.log", asServer: true)
        var lastError = ""
        for _ in 0..<5 {
            let port = Int.random(in: 15_000..<19_999)
            let options = "-p \(port) -c listen_addresses=127.0.0.1 -k \(directory) -c fsync=off -c full_page_writes=off"
                + " -c max_connections=200"
            do {
                try run(bin + "/pg_ctl", ["-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60",
                                          "-o", options, "start"],
                        log: directory + "/pg_ctl.log", asServer: true)
                let cluster = PostgresTestCluster(port: port, directory: directory, bin: bin)
                startTimes.withLock { $0.append(ContinuousClock.now - began) }
                print("PostgreSQL test cluster on 127.0.0.1:\(port) in \(directory), started in \(ContinuousClock.now - began)")
                return cluster
            } catch {
                lastError = "\(error)\n" + ((try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? "")
            }
        }
        throw PostgresTestFailure("pg_ctl start failed on five ports: \(lastError)")
    }

    private static let folderPrefix = "ztp-pg-"
    /// The pid of the test process that started the cluster in this folder.
    private static let ownerFile = "owner.pid"

    /// Stops the clusters of earlier test processes that died before their `atexit` (a crash,
    /// SIGKILL), so that no server outlives its run for longer than the next one takes to start.
    private static func stopOrphans(bin: String) {
        let temporary = FileManager.default.temporaryDirectory.path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(folderPrefix) {
            let folder = temporary + "/" + name
            guard let text = try? String(contentsOfFile: folder + "/" + ownerFile, encoding: .utf8),
                  let owner = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  kill(owner, 0) != 0, errno == ESRCH else { continue }
            try? run(bin + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"], log: nil, asServer: true)
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    /// A new empty database; returns its name.
    public func makeDatabase() throws -> String {
        let name = "ztp_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try Self.run(bin + "/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, name], log: nil, asServer: false)
        return name
    }

    /// `postgres://ztp@127.0.0.1:PORT/DATABASE?sslmode=disable`
    public func url(database: String) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// A fresh database's URL.
    public func makeDatabaseURL() throws -> String {
        url(database: try makeDatabase())
    }

    /// Stops the shared cluster (immediate mode: nothing in it is kept) and removes its folder.
    static func stopShared() {
        guard let cluster = sharedState.withLock({ $0.cluster }) else { return }
        try? run(cluster.bin + "/pg_ctl", ["-D", cluster.directory + "/data", "-m", "immediate", "-w", "stop"],
                 log: nil, asServer: true)
        try? FileManager.default.removeItem(atPath: cluster.directory)
    }

    /// Runs a PostgreSQL program to its end, its output to `log` or nowhere.
    ///
    /// `PosixSpawn`, not Foundation's `Process`: `pg_ctl` leaves the server running, and the
    /// server would inherit `Process`'s descriptors (its exit was then never seen) and the
    /// starting thread's signal mask (it would ignore `pg_ctl stop`'s signal).
    private static func run(_ executable: String, _ arguments: [String], log: String?, asServer: Bool) throws {
        let output = open(log ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard output >= 0, input >= 0 else { throw PostgresTestFailure("cannot open \(log ?? "/dev/null")") }
        defer {
            close(output)
            close(input)
        }
        if asServer, let log { try Unprivileged.handOver(URL(fileURLWithPath: log)) }
        let (command, allArguments) = asServer ? Unprivileged.command(executable, arguments) : (executable, arguments)
        var environment = ProcessInfo.processInfo.environment
        environment["LC_ALL"] = "C"
        environment.removeValue(forKey: "PGPASSWORD")
        let pid: pid_t
        do {
            pid = try PosixSpawn.spawn(command, allArguments, environment: environment, stdin: input, stdout: output, stderr: output)
        } catch {
            throw PostgresTestFailure("\(error)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw PostgresTestFailure("waitpid \(command): \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED and WEXITSTATUS, which Swift does not import.
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            let text = log.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            throw PostgresTestFailure("\(executable) \(arguments.joined(separator: " ")) ended with status \(status): \(text)")
        }
    }
}

public struct PostgresTestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
