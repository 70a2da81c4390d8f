import Foundation
import NIOCore
import NIOPosix
import ZTPNIO

/// The baselines' servers without ZTP: SwiftNIO with the ZTP listener's bootstrap options
/// (SO_REUSEADDR, a backlog of 1,024, TCP_NODELAY), each connection given a new handler.
enum PlainServer {
    /// Binds `listen` (HOST:PORT, port 0 picks one), prints `ready PORT` on stdout once bound, and
    /// runs until killed.
    static func run(listen: String, handler: @escaping @Sendable () -> any ChannelHandler) async throws {
        let (host, port) = try HostPort.parse(listen)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .noDelay()
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler()) }
            }
            .bind(host: host, port: port).get()
        print("ready \(channel.localAddress?.port ?? 0)")
        fflush(nil)
        try await channel.closeFuture.get()
    }
}
