import Foundation
import Testing
@testable import ZTPStore

/// Shared test data: a base instant that is not a whole millisecond, so exact round trips are proven.
enum Fixtures {
    static let t0 = Date(timeIntervalSinceReferenceDate: 800_000_000.123_456_7)

    /// A token for `client` issued at `t0 + issued` that expires `lifetime` seconds later.
    static func token(
        _ jti: String, client: String = "client-a", role: String = "device",
        issued: TimeInterval, lifetime: TimeInterval = 3600
    ) -> TokenRecord {
        let issuedAt = t0.addingTimeInterval(issued)
        return TokenRecord(
            jti: jti, clientID: client, role: role,
            issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(lifetime))
    }
}

/// Runs `body` with the path of a fresh temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("ZTPStoreTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url.path)
}

/// Runs `body` with a store on a real SQLite file (`ztp.sqlite` in a temporary directory) and its path.
func withFileStore<T>(_ body: (Store, String) throws -> T) throws -> T {
    try withTemporaryDirectory { directory in
        let path = directory + "/ztp.sqlite"
        let store = try Store(path: path)
        return try body(store, path)
    }
}

/// The permission bits of the file at `path`, e.g. 0o600.
func permissions(of path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    let mode = try #require(attributes[.posixPermissions] as? NSNumber)
    return mode.intValue & 0o777
}
