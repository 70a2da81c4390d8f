import Foundation
import NIOCore
import NIOPosix
import ServiceLifecycle
import NIOConcurrencyHelpers
import ZTPCore
import ZTPNIO

/// The ZTP TCP listener as a lifecycle service.
///
/// `run` binds (unless `bind` was called first), serves until graceful shutdown, then stops
/// accepting, sends CLOSE(SERVER_SHUTDOWN) to every session, and waits a bounded time for
/// them to flush and go.
public final class ZTPListener: Service, Sendable {
    public let services: ServerServices
    private let group: any EventLoopGroup
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)

    public init(services: ServerServices, group: any EventLoopGroup) {
        self.services = services
        self.group = group
    }

    /// Binds the listening socket and returns its address (port 0 picks a free port).
    @discardableResult
    public func bind() async throws -> SocketAddress {
        if let existing = channel.withLockedValue({ $0 }), let address = existing.localAddress { return address }
        let services = self.services
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .noDelay()
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // Reads of up to 256 KiB, so a full 64 KiB frame seldom needs two reads; the
            // allocator starts small and grows only for connections that move bulk data.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 256 << 10))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(services: services))
                }
            }
        let bound = try await bootstrap.bind(host: services.configuration.host, port: services.configuration.port).get()
        channel.withLockedValue { $0 = bound }
        services.events.publish(.serverStarted, detail: "listening on \(bound.localAddress?.hostPort ?? "?")")
        services.logger.info("ZTP listener ready", metadata: ["address": "\(bound.localAddress.map { "\($0)" } ?? "?")",
                                                              "server_key": "\(services.identity.publicKey.lowercaseHex)"])
        return bound.localAddress!
    }

    /// The bound address, once bound.
    public var localAddress: SocketAddress? {
        channel.withLockedValue { $0?.localAddress }
    }

    /// True while new connections are taken.
    public var isAccepting: Bool {
        channel.withLockedValue { $0?.isActive ?? false } && !services.registry.isDraining
    }

    public func run() async throws {
        try await bind()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Stops accepting, closes every session with SERVER_SHUTDOWN and waits for them to leave.
    public func shutdown() async {
        services.registry.beginDraining()
        let listening = channel.withLockedValue { $0 }
        try? await listening?.close()
        let sessions = services.registry.allSessions()
        services.events.publish(.serverDraining, count: sessions.count, detail: "closing \(sessions.count) sessions")
        services.logger.info("shutting down", metadata: ["sessions": "\(sessions.count)"])
        for session in sessions {
            session.close(code: .serverShutdown, reason: "server shutting down")
        }
        let deadline = Date().addingTimeInterval(services.configuration.shutdownGracePeriod)
        while services.registry.count > 0, Date() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
