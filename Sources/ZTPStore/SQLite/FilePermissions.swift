#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the database files readable by their owner only (mode 0600).
///
/// The file is created 0600 before SQLite opens it, because SQLite would create it 0644 and
/// gives its -wal and -shm files the mode of the main file.
enum FilePermissions {
    static let ownerOnly: mode_t = 0o600

    /// Creates `path` with mode 0600 if missing, and sets 0600 if it exists with another mode.
    static func prepareDatabaseFile(at path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, ownerOnly)
        guard fd >= 0 else {
            throw StoreError.fileSystem("cannot create \(path): \(lastErrorMessage())")
        }
        defer { close(fd) }
        guard fchmod(fd, ownerOnly) == 0 else {
            throw StoreError.fileSystem("cannot chmod 0600 \(path): \(lastErrorMessage())")
        }
    }

    /// Sets mode 0600 on `path` if it exists; a missing file is not an error.
    static func restrictIfPresent(_ path: String) throws {
        guard chmod(path, ownerOnly) == 0 else {
            if errno == ENOENT { return }
            throw StoreError.fileSystem("cannot chmod 0600 \(path): \(lastErrorMessage())")
        }
    }

    private static func lastErrorMessage() -> String {
        String(cString: strerror(errno))
    }
}
