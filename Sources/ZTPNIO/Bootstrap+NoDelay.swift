import NIOCore
import NIOPosix

// TCP_NODELAY is an IPPROTO_TCP option. Spelled `.socketOption(.tcp_nodelay)` it becomes
// SOL_SOCKET option 1, which is SO_DEBUG: that needs CAP_NET_ADMIN, so every connect and accept
// failed for unprivileged processes while root silently turned on socket debugging. These are
// the one place the option is spelled; everything that opens a ZTP connection goes through them.

extension ChannelOptions {
    /// Nagle's algorithm off: a frame is sent when it is written, not held for the next one.
    public static let ztpNoDelay = ChannelOptions.tcpOption(.tcp_nodelay)
}

extension ServerBootstrap {
    /// Every accepted connection sends without Nagle's delay.
    public func noDelay() -> ServerBootstrap {
        childChannelOption(ChannelOptions.ztpNoDelay, value: 1)
    }
}

extension ClientBootstrap {
    /// The connection sends without Nagle's delay.
    public func noDelay() -> ClientBootstrap {
        channelOption(ChannelOptions.ztpNoDelay, value: 1)
    }
}
