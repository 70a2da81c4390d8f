import Foundation
import ZTPCore

extension DataDirectory {
    /// The largest secret file read: keys and tokens are far smaller.
    static let maxSecretFileBytes = 16 * 1024

    /// Writes `name` so that it is complete or absent after a crash, never partly written:
    /// the bytes go to a fresh temporary file (mode 0600) in this directory, are fsynced, and
    /// the file is then renamed to `name`; the directory is fsynced so the new name is durable.
    ///
    /// With `replace: false` an existing `name` is an error (`alreadyExists`) and is left alone
    /// (two servers racing on first run must not overwrite each other's keys): the temporary
    /// file is then hard-linked to `name`, which, unlike rename, fails if `name` exists.
    public func write(_ name: String, contents: String, replace: Bool) throws {
        let target = file(name)
        let temporary = file(".\(name).tmp-\(getpid())-\(SecureRandom.bytes(6).lowercaseHex)")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, FileMode.ownerOnlyFile)
        guard fd >= 0 else { throw DataDirectoryError("cannot create \(temporary): \(FileMode.lastError())") }
        // After a rename the temporary name is gone and this unlink fails harmlessly.
        defer { unlink(temporary) }
        do {
            defer { close(fd) }
            guard fchmod(fd, FileMode.ownerOnlyFile) == 0 else {
                throw DataDirectoryError("cannot chmod 600 \(temporary): \(FileMode.lastError())")
            }
            try Self.writeAll(fd, Array(contents.utf8), path: target)
            guard fsync(fd) == 0 else { throw DataDirectoryError("cannot sync \(target): \(FileMode.lastError())") }
        }
        if replace {
            guard rename(temporary, target) == 0 else {
                throw DataDirectoryError("cannot replace \(target): \(FileMode.lastError())")
            }
        } else {
            guard link(temporary, target) == 0 else {
                if errno == EEXIST {
                    throw DataDirectoryError("\(target) already exists; it was not overwritten", alreadyExists: true)
                }
                throw DataDirectoryError("cannot create \(target): \(FileMode.lastError())")
            }
        }
        try syncDirectory()
    }

    /// Creates `name` with `contents` unless it exists; false if it does, or if another process
    /// sharing the directory created it first (then that process's file is the one to read).
    public func createUnlessPresent(_ name: String, contents: String) throws -> Bool {
        guard !exists(name) else { return false }
        do {
            try write(name, contents: contents, replace: false)
            return true
        } catch let error as DataDirectoryError where error.alreadyExists {
            return false
        }
    }

    /// Reads a secret file, trimmed of surrounding white space. Throws if the file is open to
    /// group or others (checked on the open file, so a swap after the directory check is seen),
    /// empty, or unreasonably large.
    public func readSecret(_ name: String) throws -> String {
        let path = file(name)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DataDirectoryError("cannot read \(path): \(FileMode.lastError())") }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw DataDirectoryError("cannot stat \(path): \(FileMode.lastError())") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw DataDirectoryError("\(path) is not a regular file") }
        try FileMode.requireOwnerOnly(status.st_mode, of: path, isDirectory: false)
        guard status.st_size <= Self.maxSecretFileBytes else {
            throw DataDirectoryError("\(path) is larger than \(Self.maxSecretFileBytes) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        defer { ConstantTime.wipe(&bytes) }
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw DataDirectoryError("cannot read \(path): \(FileMode.lastError())") }
            filled += count
        }
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw DataDirectoryError("\(path) is empty") }
        return text
    }

    /// Makes the directory's entries (a new or renamed file) durable.
    private func syncDirectory() throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw DataDirectoryError("cannot open \(path): \(FileMode.lastError())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw DataDirectoryError("cannot sync \(path): \(FileMode.lastError())") }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw DataDirectoryError("cannot write \(path): \(FileMode.lastError())") }
            written += count
        }
    }
}
