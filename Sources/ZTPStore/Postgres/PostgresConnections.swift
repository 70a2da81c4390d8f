import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// A few PostgreSQL connections shared by the store's callers, each used by one caller at a
/// time (a transaction needs its connection to itself).
///
/// Callers are synchronous: they wait on the connection's futures, which its own event loop
/// (one thread, never shared with the server's) completes. A caller never waits on that loop,
/// so the wait cannot deadlock. At most `limit` connections are open; more callers wait their
/// turn. A connection found closed (the server restarted, the network broke) is dropped and a
/// new one opened on the next call, so the store recovers when PostgreSQL is back.
final class PostgresConnections: @unchecked Sendable {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let configuration: PostgresConnection.Configuration
    let logger: Logger
    private let limit: Int
    /// Guards the fields below it.
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var opened = 0
    private var closed = false
    private var nextID = 0

    init(url: PostgresURL, limit: Int, logger: Logger) {
        precondition(limit >= 1)
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password,
            database: url.database, tls: .disable)
        configuration.options.connectTimeout = .seconds(5)
        self.configuration = configuration
        self.limit = limit
        self.logger = logger
    }

    deinit {
        // A store dropped without `close()` (the command line's): each connection is closed
        // (PostgresNIO asserts that it is) and kept alive until it is, then the loop stops,
        // from a thread that is not the loop's own. After `close()` all of that is done.
        guard !closed else { return }
        let group = group
        guard !idle.isEmpty else {
            group.shutdownGracefully { _ in }
            return
        }
        let closing = idle.map { connection in
            connection.close().always { _ in withExtendedLifetime(connection) {} }
        }
        EventLoopFuture.andAllComplete(closing, on: group.next()).whenComplete { _ in
            DispatchQueue.global().async { group.shutdownGracefully { _ in } }
        }
    }

    /// The loop every connection of this store runs on (one thread, the store's own).
    var eventLoop: any EventLoop { group.next() }

    /// A connection id for the logs, unique within this store.
    func nextConnectionID() -> Int {
        condition.withLock {
            nextID += 1
            return nextID
        }
    }

    /// Runs `body` with a connection of its own.
    func withConnection<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(PostgresSession(connection: connection, logger: logger))
    }

    /// Runs `body` in one transaction, committed before this returns; rolled back if it throws.
    func transaction<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try withConnection { session in
            try session.execute("BEGIN")
            do {
                let value = try body(session)
                try session.execute("COMMIT")
                return value
            } catch {
                try? session.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Closes every connection; later calls throw `StoreError.Code.database`.
    func close() throws {
        let toClose: [PostgresConnection] = condition.withLock {
            closed = true
            condition.broadcast()
            defer { idle = [] }
            return idle
        }
        for connection in toClose { try? connection.close().wait() }
        try group.syncShutdownGracefully()
    }

    private func checkOut() throws -> PostgresConnection {
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw StoreError(code: .database, message: "the store is closed")
            }
            if let connection = idle.popLast() {
                if connection.isClosed {
                    opened -= 1
                    continue
                }
                condition.unlock()
                return connection
            }
            if opened < limit {
                opened += 1
                nextID += 1
                let id = nextID
                condition.unlock()
                do {
                    return try PostgresConnection.connect(on: group.next(), configuration: configuration, id: id,
                                                          logger: logger).wait()
                } catch {
                    condition.withLock {
                        opened -= 1
                        condition.signal()
                    }
                    var storeError = PostgresSession.storeError(error, doing: "connect")
                    // Refused, unresolvable, timed out, closed before it answered (a proxy in
                    // front of a server that is down), or a server still starting (57P03); not
                    // a refused login, which waiting would not change.
                    let psqlCode = (error as? PSQLError)?.code
                    storeError.unreachable = psqlCode == nil || psqlCode == .connectionError
                        || psqlCode == .serverClosedConnection || psqlCode == .uncleanShutdown
                        || storeError.sqlState == "57P03"
                    throw storeError
                }
            }
            condition.wait()
        }
    }

    private func checkIn(_ connection: PostgresConnection) {
        let stale: PostgresConnection? = condition.withLock {
            defer { condition.signal() }
            if closed || connection.isClosed {
                opened -= 1
                return connection
            }
            idle.append(connection)
            return nil
        }
        if let stale, !stale.isClosed {
            stale.close().whenComplete { _ in withExtendedLifetime(stale) {} }
        }
    }
}

/// One connection lent to one caller: queries that wait for their result.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs `query` and returns its rows and row count.
    @discardableResult
    func query(_ query: PostgresQuery) throws -> PostgresQueryResult {
        do {
            return try connection.query(query, logger: logger).wait()
        } catch {
            throw Self.storeError(error, doing: "query")
        }
    }

    /// Runs one statement that takes no parameters.
    func execute(_ sql: String) throws {
        try query(PostgresQuery(unsafeSQL: sql))
    }

    /// The rows `query` changed (INSERT, UPDATE, DELETE).
    func changes(_ query: PostgresQuery) throws -> Int {
        try self.query(query).metadata.rows ?? 0
    }

    /// The SQLSTATE of a server error, e.g. `23505` for a unique violation.
    static func sqlState(of error: any Error) -> String? {
        if let error = error as? StoreError { return error.sqlState }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A `StoreError` saying what failed: the error code and the server's message, never the
    /// connection's configuration (its password).
    static func storeError(_ error: any Error, doing what: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? PSQLError else {
            return StoreError(code: .database, message: "PostgreSQL \(what) failed: \(error)")
        }
        var message = "PostgreSQL \(what) failed: \(error.code)"
        if let info = error.serverInfo {
            message += " \(info[.sqlState] ?? "") \(info[.message] ?? "")"
        }
        if let underlying = error.underlying { message += " (\(underlying))" }
        var storeError = StoreError(code: .database, message: message)
        storeError.sqlState = error.serverInfo?[.sqlState]
        return storeError
    }
}
