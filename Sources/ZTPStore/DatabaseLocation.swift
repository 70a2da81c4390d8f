import Foundation

/// Where the store lives: a SQLite file (the default, in the data directory) or a PostgreSQL
/// database named by a `postgres://` URL (`--database`, `ZTP_DATABASE_URL`).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresURL)

    /// `url` when given, else the SQLite file `defaultPath`. Throws `DatabaseURLError` for a URL
    /// that is not a usable `postgres://` URL; its message never holds the password.
    public static func choose(url: String?, defaultPath: String) throws -> DatabaseLocation {
        guard let url else { return .sqlite(path: defaultPath) }
        return .postgres(try PostgresURL(parsing: url))
    }

    /// For logs: the file, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): url.description
        }
    }
}

/// A parsed `postgres://user[:password]@host[:port]/database[?sslmode=disable]` URL.
///
/// `description` shows the password as `***`, so the value can be logged; the password itself
/// is reachable only by the store, to connect.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public let user: String
    let password: String?
    public let host: String
    public let port: Int
    public let database: String

    public init(parsing text: String) throws {
        // Messages below quote only what was parsed, never `text`: it may hold the password.
        guard let components = URLComponents(string: text) else {
            throw DatabaseURLError("the database URL is not a URL; expected postgres://user[:password]@host[:port]/database")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseURLError("the database URL must start with postgres:// (got scheme '\(components.scheme ?? "")')")
        }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseURLError("the database URL names no user; expected postgres://user[:password]@host[:port]/database")
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseURLError("the database URL names no host; expected postgres://user[:password]@host[:port]/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw DatabaseURLError("the database URL names no database (one path segment after the host, as in postgres://user@host/ztp)")
        }
        if let port = components.port, !(1...65535).contains(port) {
            throw DatabaseURLError("the database URL's port \(port) is not in 1-65535")
        }
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("sslmode", "disable"):
                continue
            case ("sslmode", let value):
                throw DatabaseURLError("sslmode=\(value ?? "") is not supported; only sslmode=disable (TLS to PostgreSQL is not built yet)")
            default:
                throw DatabaseURLError("the database URL parameter '\(item.name)' is not supported; only sslmode=disable")
            }
        }
        self.user = user
        self.password = components.password
        self.host = host
        self.port = components.port ?? 5432
        self.database = database.removingPercentEncoding ?? database
    }

    public var description: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)"
    }
}

/// A `--database` URL that cannot be used; the message says why and never holds the password.
public struct DatabaseURLError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
