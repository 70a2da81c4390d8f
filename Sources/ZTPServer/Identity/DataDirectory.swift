import Foundation
import ZTPCore

/// The server's data directory: identity key, public key, token secret, admin key, demo token
/// and the database.
///
/// It holds secrets, so it is kept as ssh keeps `~/.ssh`: created with mode 0700, and every
/// file in it written with mode 0600 from the start (there is no moment where it is readable
/// by others). A directory, or a secret file in it, that group or others may read or write is
/// refused with the `chmod` that fixes it, rather than used.
public struct DataDirectory: Sendable {
    public let path: String

    public static let identityFile = "identity.key"
    public static let publicKeyFile = "server.pub"
    public static let tokenSecretFile = "token.secret"
    public static let adminKeyFile = "admin.key"
    public static let demoTokenFile = "demo.token"
    /// The SQLite store, when no `--database` URL names another.
    public static let storeFile = "ztp.sqlite"
    /// The files whose contents let someone act as the server, mint tokens, use the API, or
    /// connect as a client: each must be its owner's only.
    public static let secretFiles = [identityFile, tokenSecretFile, adminKeyFile, demoTokenFile]

    /// Opens the directory, creating it (mode 0700) when missing. Throws if the directory, or
    /// a secret file already in it, is open to group or others.
    public init(path: String) throws {
        self.path = path
        var status = stat()
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else { throw DataDirectoryError("\(path) exists and is not a directory") }
            try FileMode.requireOwnerOnly(status.st_mode, of: path, isDirectory: true)
        } else if errno == ENOENT {
            try Self.create(path)
        } else {
            throw DataDirectoryError("cannot open data directory \(path): \(FileMode.lastError())")
        }
        for name in Self.secretFiles {
            if stat(file(name), &status) == 0 {
                try FileMode.requireOwnerOnly(status.st_mode, of: file(name), isDirectory: false)
            }
        }
    }

    private static func create(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw DataDirectoryError("cannot create data directory \(path): \(error.localizedDescription)")
        }
        // The mode asked for at creation is filtered through the umask; say it outright.
        guard chmod(path, FileMode.ownerOnlyDirectory) == 0 else {
            throw DataDirectoryError("cannot chmod 700 \(path): \(FileMode.lastError())")
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

    /// A secret stored as lowercase hex and a newline; created random when missing. Servers
    /// starting together on one directory (a fleet's shared volume) all end up with the one
    /// that was created first.
    public func loadOrCreateSecret(_ name: String, byteCount: Int) throws -> SecretBytes {
        if !exists(name) {
            let secret = SecretBytes(randomCount: byteCount)
            if try createUnlessPresent(name, contents: secret.bytes.lowercaseHex + "\n") { return secret }
        }
        return try readHexSecret(name, byteCount: byteCount)
    }

    func readHexSecret(_ name: String, byteCount: Int) throws -> SecretBytes {
        let text = try readSecret(name)
        guard var bytes = [UInt8](hex: text), bytes.count == byteCount else {
            throw DataDirectoryError("\(file(name)) must hold \(byteCount * 2) hex digits")
        }
        defer { ConstantTime.wipe(&bytes) }
        return SecretBytes(bytes)
    }
}

/// Why the data directory or one of its files cannot be used; `description` says what to do.
public struct DataDirectoryError: Error, CustomStringConvertible {
    public var description: String
    /// A file that was to be created exists already.
    public var alreadyExists: Bool
    public init(_ description: String, alreadyExists: Bool = false) {
        self.description = description
        self.alreadyExists = alreadyExists
    }
}
