import NIOCore
import NIOPosix
import ZTPNIO
import ZTPTestSupport

/// A plain TCP connection on NIO: the test decides every byte sent, and sees every byte that
/// arrives and whether the peer closed. Nothing here blocks a thread.
final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: ReceivedBytes

    private init(channel: any Channel, received: ReceivedBytes) {
        self.channel = channel
        self.received = received
    }

    /// - Parameter source: the local address to connect from (127.0.0.2 and up are loopback
    ///   too), so a test can be several peers; nil for the kernel's choice.
    static func connect(port: Int, host: String = "127.0.0.1", from source: String? = nil) async throws -> RawConnection {
        let received = ReceivedBytes()
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let channel = try await bootstrap
            .connectTimeout(.seconds(5))
            .noDelay()
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: host, port: port).get()
        return RawConnection(channel: channel, received: received)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
    }

    /// Sends without waiting for the write (the peer may already have closed).
    func sendIgnoringErrors(_ bytes: [UInt8]) async {
        try? await send(bytes)
    }

    /// Takes the bytes received so far.
    func take() -> [UInt8] {
        received.state.withLock { state in
            defer { state.bytes.removeAll() }
            return state.bytes
        }
    }

    var isClosedByPeer: Bool { received.state.withLock { $0.closed } }

    /// Waits until at least `count` bytes are buffered; false on timeout or close.
    func waitForBytes(_ count: Int, within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (buffered, closed) = received.state.withLock { ($0.bytes.count, $0.closed) }
            if buffered >= count { return true }
            if closed { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    /// Waits for the peer to close the connection (EOF or reset).
    func waitForClose(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if isClosedByPeer { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return isClosedByPeer
    }

    func close() async {
        try? await channel.close()
    }

    /// Stops taking bytes from the socket (a peer that stalls): the kernel's buffers fill, then
    /// the sender's.
    func stopReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false).get()
    }

    /// This side's port, to find the connection in the kernel's tables.
    var localPort: Int { channel.localAddress?.port ?? 0 }
}

/// What arrived on a raw connection; shared by the channel handler and the test.
final class ReceivedBytes: Sendable {
    struct State {
        var bytes: [UInt8] = []
        var closed = false
    }

    let state = LockedBox(State())
}

private final class Collector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let received: ReceivedBytes

    init(received: ReceivedBytes) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        received.state.withLock { $0.bytes += bytes }
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.state.withLock { $0.closed = true }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
