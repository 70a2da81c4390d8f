import Foundation
import Testing
@testable import ZTPStore
import ZTPTestSupport

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

/// The store's backends; every suite that is not about one of them runs against each.
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// Both, or only SQLite where PostgreSQL is not installed (said loudly, once).
    static let available: [Backend] = {
        if PostgresTestCluster.isInstalled { return [.sqlite, .postgres] }
        print(PostgresTestCluster.notInstalledMessage)
        return [.sqlite]
    }()

    /// Only PostgreSQL, or nothing (loudly) where it is not installed.
    static let postgresOnly: [Backend] = available.filter { $0 == .postgres }
}

/// One fresh database for one test: a SQLite file in a temporary directory, or a new database
/// in the shared PostgreSQL test cluster. `open` may be called again (a restart, a second
/// server on the same data); every store opened is closed at the end.
final class TestDatabase: @unchecked Sendable {
    let location: DatabaseLocation
    private let opened = LockedBox<[Store]>([])

    init(location: DatabaseLocation) {
        self.location = location
    }

    func open(auditRowCap: Int = Store.defaultAuditRowCap) throws -> Store {
        let store = try Store.open(location, auditRowCap: auditRowCap)
        opened.withLock { $0.append(store) }
        return store
    }

    fileprivate func closeAll() {
        for store in opened.withLock({ $0 }) { try? store.close() }
    }
}

/// Runs `body` with a fresh, empty database of `backend`.
func withDatabase<T>(_ backend: Backend, _ body: (TestDatabase) throws -> T) throws -> T {
    switch backend {
    case .sqlite:
        return try withTemporaryDirectory { directory in
            let database = TestDatabase(location: .sqlite(path: directory + "/ztp.sqlite"))
            defer { database.closeAll() }
            return try body(database)
        }
    case .postgres:
        let url = try PostgresTestCluster.shared().makeDatabaseURL()
        let database = TestDatabase(location: .postgres(try PostgresURL(parsing: url)))
        defer { database.closeAll() }
        return try body(database)
    }
}

/// Runs `body` with a store on a fresh, empty database of `backend`.
func withStore<T>(_ backend: Backend, auditRowCap: Int = Store.defaultAuditRowCap, _ body: (Store) throws -> T) throws -> T {
    try withDatabase(backend) { database in try body(try database.open(auditRowCap: auditRowCap)) }
}
