import Foundation
import NIOCore
import PostgresNIO

/// LISTEN on some channels over a connection of its own, kept open: a connection that fails or
/// ends is opened again after `retryDelay`. Each (re)connection is reported (`.connected`),
/// because notices sent while no connection listened are lost: the caller reads what it may
/// have missed (revocations, by sequence number).
final class PostgresWatch: StoreWatch, @unchecked Sendable {
    static let retryDelay: TimeAmount = .seconds(1)

    private let connections: PostgresConnections
    private let channels: [StoreChannel]
    private let onNotice: @Sendable (StoreNotice) -> Void
    /// Guards the fields below it.
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var stopped = false

    init(connections: PostgresConnections, channels: [StoreChannel], onNotice: @escaping @Sendable (StoreNotice) -> Void) {
        self.connections = connections
        self.channels = channels
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
                for channel in self.channels {
                    connection.addListener(channel: channel.rawValue) { _, notification in
                        onNotice(.message(channel, notification.payload))
                    }
                }
                onNotice(.connected)
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
