import Foundation
import NIOCore
import PostgresNIO

/// LISTEN on the revocation channel over a connection of its own, kept open: a connection that
/// fails or ends is opened again after `retryDelay`, and each (re)connection is itself a notice,
/// because notices sent while no connection listened are lost (the caller then reads what it
/// missed by sequence number).
final class PostgresRevocationWatch: RevocationWatch, @unchecked Sendable {
    static let retryDelay: TimeAmount = .seconds(1)

    private let connections: PostgresConnections
    private let channel: String
    private let onNotice: @Sendable () -> Void
    /// Guards the fields below it.
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var stopped = false

    init(connections: PostgresConnections, channel: String, onNotice: @escaping @Sendable () -> Void) {
        self.connections = connections
        self.channel = channel
        self.onNotice = onNotice
        connect()
    }

    func stop() {
        let open: PostgresConnection? = lock.withLock {
            stopped = true
            defer { connection = nil }
            return connection
        }
        // PostgresNIO wants every connection closed before it is released.
        if let open { open.close().whenComplete { _ in withExtendedLifetime(open) {} } }
    }

    private func connect() {
        guard !lock.withLock({ stopped }) else { return }
        let loop = connections.eventLoop
        PostgresConnection.connect(on: loop, configuration: connections.configuration, id: connections.nextConnectionID(),
                                   logger: connections.logger).whenComplete { result in
            switch result {
            case .success(let connection):
                let kept = self.lock.withLock { () -> Bool in
                    guard !self.stopped else { return false }
                    self.connection = connection
                    return true
                }
                guard kept else {
                    connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
                    return
                }
                let onNotice = self.onNotice
                connection.addListener(channel: self.channel) { _, _ in onNotice() }
                onNotice()
                connection.closeFuture.whenComplete { _ in
                    self.lock.withLock { if self.connection === connection { self.connection = nil } }
                    self.retry(on: loop)
                }
            case .failure:
                self.retry(on: loop)
            }
        }
    }

    private func retry(on loop: any EventLoop) {
        guard !lock.withLock({ stopped }) else { return }
        loop.scheduleTask(in: Self.retryDelay) { self.connect() }
    }
}
