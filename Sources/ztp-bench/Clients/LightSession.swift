import NIOCore
import NIOPosix
import ZTPCore
import ZTPNIO

/// A bare ZTP client session straight on ZTPCore's `ClientConnection`, bound to a chosen
/// loopback source address.
///
/// The `api` scenario connects thousands of sessions to the real `ztp-server`, whose
/// handshake rate limit is per source address; spreading them over 127.0.x.y keeps the
/// limiter out of the measurement without changing the server. It answers heartbeats; with
/// `listen`, it also opens that stream and counts the messages arriving on it (the `chat-flood`
/// listeners), at a fraction of a full `ZTPClient`'s cost.
enum LightSession {
    /// Connects from `source` and completes the handshake; the channel stays open.
    static func connect(host: String, port: Int, source: String, token: String, serverKey: [UInt8],
                        listen: (stream: UInt32, received: Counter)? = nil,
                        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> any Channel {
        let tokenBytes = Array(token.utf8)
        let channel = try await ClientBootstrap(group: group)
            .noDelay()
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = ClientConnection(token: tokenBytes, trust: .pinned(serverKey), now: LightSessionHandler.clock())
                    try channel.pipeline.syncOperations.addHandler(LightSessionHandler(connection: connection, listen: listen,
                                                                                       established: channel.eventLoop.makePromise()))
                }
            }
            .connect(host: host, port: port).get()
        let established = try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: LightSessionHandler.self).established.futureResult
        }.get()
        try await established.get()
        return channel
    }
}

/// Moves bytes between the channel and the connection and runs its timer.
final class LightSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var connection: ClientConnection
    private let listen: (stream: UInt32, received: Counter)?
    let established: EventLoopPromise<Void>
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?

    init(connection: ClientConnection, listen: (stream: UInt32, received: Counter)? = nil, established: EventLoopPromise<Void>) {
        self.connection = connection
        self.listen = listen
        self.established = established
    }

    static func clock() -> Double {
        Double(NIODeadline.now().uptimeNanoseconds) / 1e9
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        flushOutbound()
        scheduleTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let events = buffer.withUnsafeReadableBytes { connection.receive($0, now: LightSessionHandler.clock()) }
        handle(events)
        flushOutbound()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        established.fail(BenchError("connection closed before the handshake finished"))
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func handle(_ events: [ConnectionEvent]) {
        for event in events {
            switch event {
            case .established:
                // An empty DATA opens the stream without being a message (section 4).
                if let listen { _ = connection.sendData(stream: listen.stream, payload: [], now: LightSessionHandler.clock()) }
                established.succeed()
            case .data(let stream, _) where stream == listen?.stream:
                _ = listen?.received.next()
            case .closed(let reason):
                flushOutbound()
                established.fail(BenchError("session closed: \(reason)"))
                context?.close(promise: nil)
            case .streamOpened, .streamRejected, .data, .streamClosed, .streamWritable, .pong:
                break
            }
        }
    }

    private func flushOutbound() {
        guard let context, connection.hasOutbound else { return }
        context.writeAndFlush(wrapOutboundOut(connection.takeOutboundBuffer()), promise: nil)
    }

    private func scheduleTimer() {
        guard let context, let deadline = connection.nextDeadline else { return }
        timer?.cancel()
        let delay = max(0, deadline - LightSessionHandler.clock())
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay * 1e9) + 1_000_000)) {
            self.handle(self.connection.tick(now: LightSessionHandler.clock()))
            self.flushOutbound()
            self.scheduleTimer()
        }
    }
}
