import Foundation

/// The owner-only rule for the data directory and its secrets, and the message that says how
/// to meet it (the way ssh refuses a private key that others can read).
enum FileMode {
    static let ownerOnlyFile: mode_t = 0o600
    static let ownerOnlyDirectory: mode_t = 0o700
    /// Any permission for group or others.
    static let groupOrOther: mode_t = 0o077

    /// Throws, naming the `chmod` to run, if `mode` grants group or others anything.
    static func requireOwnerOnly(_ mode: mode_t, of path: String, isDirectory: Bool) throws {
        guard mode & groupOrOther != 0 else { return }
        let current = String(mode & 0o777, radix: 8)
        let what = isDirectory ? "data directory \(path)" : path
        let wanted = isDirectory ? "700" : "600"
        throw DataDirectoryError("""
            permissions 0\(current) for \(what) are too open: it holds secrets and must be \
            readable and writable by its owner only. Run: chmod \(wanted) \(shellQuoted(path))
            """)
    }

    static func lastError() -> String {
        String(cString: strerror(errno))
    }

    /// `path` as a shell word: unchanged when it has only safe characters, else single-quoted.
    static func shellQuoted(_ path: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@,=")
        if !path.isEmpty, path.allSatisfy(safe.contains) { return path }
        return "'" + path.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}
