/// An error from the store: a code to switch on and a diagnostic for logs.
///
/// SQLite, PostgreSQL and file-system failures are wrapped here so callers need not import GRDB
/// or PostgresNIO.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: Sendable, Equatable {
        /// `recordIssued` was given a jti that is already stored.
        case duplicateToken
        /// A negative `limit` or `offset` was asked for.
        case invalidPage
        /// The database file could not be created or its mode set.
        case fileSystem
        /// The database failed (I/O, corruption, busy, unreachable, closed store, ...).
        case database
    }

    public var code: Code
    public var message: String
    /// PostgreSQL's SQLSTATE for a server error (e.g. `23505`, a unique violation).
    var sqlState: String? = nil
    /// The database server could not be reached (or is still starting): worth waiting for.
    public internal(set) var unreachable = false

    public var description: String { "StoreError.\(code): \(message)" }

    static func duplicateToken(jti: String) -> StoreError {
        StoreError(code: .duplicateToken, message: "a token with jti \(jti) is already recorded")
    }

    static func invalidPage(limit: Int, offset: Int) -> StoreError {
        StoreError(code: .invalidPage, message: "limit (\(limit)) and offset (\(offset)) must not be negative")
    }

    static func fileSystem(_ message: String) -> StoreError {
        StoreError(code: .fileSystem, message: message)
    }

    static func database(_ error: any Error) -> StoreError {
        StoreError(code: .database, message: String(describing: error))
    }
}
