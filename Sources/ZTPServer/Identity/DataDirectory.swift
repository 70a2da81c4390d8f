import Foundation
import ZTPCore

/// The server's data directory: identity key, public key, token secret and the files that
/// later work adds (admin key, database). Created on first run with mode 0700; every file in
/// it is written with mode 0600 from the start (no window where it is readable by others).
public struct DataDirectory: Sendable {
    public let path: String

    public static let identityFile = "identity.key"
    public static let publicKeyFile = "server.pub"
    public static let tokenSecretFile = "token.secret"
    public static let demoTokenFile = "demo.token"

    /// Opens the directory, creating it when missing.
    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw DataDirectoryError("\(path) exists and is not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw DataDirectoryError("cannot create data directory \(path): \(error.localizedDescription)")
            }
        }
    }

    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    public func exists(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: file(name))
    }

    /// The Ed25519 identity, created on first run; `server.pub` is rewritten to match it.
    public func loadOrCreateIdentity() throws -> Ed25519.KeyPair {
        let seed = try loadOrCreateSecret(DataDirectory.identityFile, byteCount: Ed25519.seedCount)
        let identity = Ed25519.KeyPair(seed: seed)
        try write(DataDirectory.publicKeyFile, contents: identity.publicKey.lowercaseHex + "\n", replace: true)
        return identity
    }

    /// The 32-byte HS256 token secret, created on first run.
    public func loadOrCreateTokenSecret() throws -> SecretBytes {
        try loadOrCreateSecret(DataDirectory.tokenSecretFile, byteCount: 32)
    }

    /// A secret stored as lowercase hex and a newline; created random when missing.
    public func loadOrCreateSecret(_ name: String, byteCount: Int) throws -> SecretBytes {
        if exists(name) {
            return try readHexSecret(name, byteCount: byteCount)
        }
        let secret = SecretBytes(randomCount: byteCount)
        try write(name, contents: secret.bytes.lowercaseHex + "\n", replace: false)
        return secret
    }

    func readHexSecret(_ name: String, byteCount: Int) throws -> SecretBytes {
        let text: String
        do {
            text = try String(contentsOfFile: file(name), encoding: .utf8)
        } catch {
            throw DataDirectoryError("cannot read \(file(name))")
        }
        guard var bytes = [UInt8](hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes.count == byteCount else {
            throw DataDirectoryError("\(file(name)) must hold \(byteCount * 2) hex digits")
        }
        defer { ConstantTime.wipe(&bytes) }
        return SecretBytes(bytes)
    }

    /// Writes a file created with mode 0600. With `replace: false` an existing file is an error
    /// (two servers racing on first run must not overwrite each other's keys).
    public func write(_ name: String, contents: String, replace: Bool) throws {
        let target = file(name)
        let temporary = replace ? target + ".tmp-\(getpid())" : target
        let flags = O_WRONLY | O_CREAT | (replace ? O_TRUNC : O_EXCL)
        let fd = open(temporary, flags, 0o600)
        guard fd >= 0 else { throw DataDirectoryError("cannot create \(target): \(String(cString: strerror(errno)))") }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        fchmod(fd, 0o600)
        fsync(fd)
        close(fd)
        guard written == bytes.count else { throw DataDirectoryError("cannot write \(target)") }
        if replace, rename(temporary, target) != 0 {
            throw DataDirectoryError("cannot replace \(target): \(String(cString: strerror(errno)))")
        }
    }
}

public struct DataDirectoryError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
