import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The processes a test starts run as an unprivileged user, as users run them.
///
/// CI runs the tests as root, where a call that needs a capability succeeds and hides the
/// defect (the server once set SO_DEBUG on every socket: fine as root, a reset connection for
/// everyone else). When the tests are root, children are started through `setpriv` as
/// `$ZTP_TEST_USER`, `ztp-test` (made by `make setup-test`) or `nobody`, with no supplementary
/// groups and so no capabilities; directories they write are handed to that user. When the
/// tests are not root, children already are what a user runs.
public enum Unprivileged {
    public struct Account: Sendable, CustomStringConvertible {
        public let name: String
        public let uid: uid_t
        public let gid: gid_t
        public var description: String { "\(name) (uid \(uid))" }
    }

    /// Who children run as; nil when the tests themselves are not root.
    public static let account: Account? = {
        guard geteuid() == 0 else { return nil }
        let names = [ProcessInfo.processInfo.environment["ZTP_TEST_USER"], "ztp-test", "nobody"].compactMap { $0 }
        for name in names where !name.isEmpty {
            if let entry = getpwnam(name) {
                return Account(name: name, uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
            }
        }
        return Account(name: "65534", uid: 65534, gid: 65534)
    }()

    static let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `executable` and `arguments` as they must be started: wrapped in `setpriv` when the tests
    /// are root (it execs, so the pid is the program's own).
    public static func command(_ executable: String, _ arguments: [String]) -> (String, [String]) {
        guard let account else { return (executable, arguments) }
        guard let setpriv else {
            fatalError("the tests run as root but setpriv (util-linux) is missing: children would run privileged")
        }
        return (setpriv, ["--reuid=\(account.uid)", "--regid=\(account.gid)", "--clear-groups", "--", executable] + arguments)
    }

    /// Hands `url` (and everything below it) to the unprivileged account, so a child can write
    /// where the test made a directory for it.
    public static func handOver(_ url: URL) throws {
        guard let account else { return }
        var paths = [url.path]
        if let below = FileManager.default.enumerator(atPath: url.path) {
            while let relative = below.nextObject() as? String { paths.append(url.appendingPathComponent(relative).path) }
        }
        for path in paths where lchown(path, account.uid, account.gid) != 0 {
            throw UnprivilegedFailure("chown \(path) to \(account): \(String(cString: strerror(errno)))")
        }
    }

    /// `path` where the unprivileged account can run it. A build folder inside a directory only
    /// root may enter (a CI clone under `mktemp -d`) is out of its reach, so when the tests are
    /// root the binary is copied, once per build of it, to a world-readable folder.
    public static func executable(_ path: String) throws -> String {
        guard account != nil else { return path }
        return try staged.withLock { (cache: inout [String: String]) in
            if let copy = cache[path] { return copy }
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            let modified = Int((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
            let folder = "/tmp/ztp-test-bin"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            chmod(folder, 0o755)
            let name = URL(fileURLWithPath: path).lastPathComponent
            let copy = "\(folder)/\(name)-\(size)-\(modified)"
            if !FileManager.default.isExecutableFile(atPath: copy) {
                removeStaleCopies(of: name, in: folder)
                // Copied under a private name and renamed, so a parallel run never starts a half copy.
                let partial = "\(copy).\(getpid()).partial"
                try? FileManager.default.removeItem(atPath: partial)
                try FileManager.default.copyItem(atPath: path, toPath: partial)
                chmod(partial, 0o755)
                guard rename(partial, copy) == 0 else { throw UnprivilegedFailure("rename \(partial): \(String(cString: strerror(errno)))") }
            }
            cache[path] = copy
            return copy
        }
    }

    private static let staged = StagedCopies()

    /// Copies of earlier builds, once no run can still be starting them (an hour on).
    private static func removeStaleCopies(of name: String, in folder: String) {
        let hourAgo = Date().addingTimeInterval(-3600)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where entry.hasPrefix("\(name)-") {
            let path = "\(folder)/\(entry)"
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if let modified, modified < hourAgo { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}

public struct UnprivilegedFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The copies made so far, behind `NSLock`, a pthread mutex whose locking ThreadSanitizer
/// follows: under Synchronization's `Mutex` it reported an access race on this cache (see
/// docs/RELIABILITY.md, "ThreadSanitizer").
private final class StagedCopies: @unchecked Sendable {
    private let lock = NSLock()
    private var copies: [String: String] = [:]

    func withLock<T>(_ body: (inout [String: String]) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&copies)
    }
}
