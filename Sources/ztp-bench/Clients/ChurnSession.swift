import NIOCore
import NIOPosix
import ZTPCore
import ZTPNIO

/// A ZTP session for the soak: ZTPCore's `ClientConnection` on a channel bound to a chosen
/// loopback source address (the server limits handshakes per address), with just what churn
/// needs: open, send on and close streams, count what arrives, close politely or abruptly, and
/// learn how the session ended.
///
/// Every method hops to the channel's event loop; the handler's state lives there alone.
final class ChurnSession: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<ChurnSessionHandler>
    let ended: EventLoopFuture<ChurnEnd>

    private init(channel: any Channel, handler: NIOLoopBound<ChurnSessionHandler>, ended: EventLoopFuture<ChurnEnd>) {
        self.channel = channel
        self.handler = handler
        self.ended = ended
    }

    /// Connects from `source` and completes the handshake; throws the close reason if refused.
    static func connect(port: Int, source: String, token: String, serverKey: [UInt8]) async throws -> ChurnSession {
        let tokenBytes = Array(token.utf8)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .noDelay()
            .connectTimeout(.seconds(10))
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = ClientConnection(token: tokenBytes, trust: .pinned(serverKey), now: LightSessionHandler.clock())
                    try channel.pipeline.syncOperations.addHandler(ChurnSessionHandler(connection: connection, eventLoop: channel.eventLoop))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let (handler, established, ended) = try await channel.eventLoop.submit {
            let handler = try channel.pipeline.syncOperations.handler(type: ChurnSessionHandler.self)
            return (NIOLoopBound(handler, eventLoop: channel.eventLoop), handler.established.futureResult, handler.ended.futureResult)
        }.get()
        let session = ChurnSession(channel: channel, handler: handler, ended: ended)
        do {
            try await established.get()
        } catch {
            // Refused or dropped during the handshake: make sure the socket is gone.
            try? await channel.close()
            throw error
        }
        return session
    }

    /// Sends one message (an empty one opens the stream). False when the session or stream is gone.
    func send(stream: UInt32, _ message: [UInt8]) async -> Bool {
        (try? await channel.eventLoop.submit { self.handler.value.send(stream: stream, message) }.get()) ?? false
    }

    /// Bytes received on `stream` so far.
    func received(stream: UInt32) async -> Int {
        (try? await channel.eventLoop.submit { self.handler.value.received[stream, default: 0] }.get()) ?? 0
    }

    /// Whether the session is still established.
    func isOpen() async -> Bool {
        (try? await channel.eventLoop.submit { self.handler.value.isOpen }.get()) ?? false
    }

    func closeStream(_ stream: UInt32) async {
        _ = try? await channel.eventLoop.submit { self.handler.value.closeStream(stream) }.get()
    }

    /// CLOSE(NORMAL), then TCP close.
    func close() async {
        _ = try? await channel.eventLoop.submit { self.handler.value.close() }.get()
        _ = try? await ended.get()
    }

    /// TCP close without a CLOSE frame, as a crashed client would.
    func abort() async {
        _ = try? await channel.eventLoop.submit { self.handler.value.markClosedLocally() }.get()
        try? await channel.close()
        _ = try? await ended.get()
    }
}

/// Moves bytes between the channel and the connection and runs its timer (heartbeats).
final class ChurnSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var connection: ClientConnection
    let established: EventLoopPromise<Void>
    let ended: EventLoopPromise<ChurnEnd>
    private(set) var received: [UInt32: Int] = [:]
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var closedLocally = false

    init(connection: ClientConnection, eventLoop: any EventLoop) {
        self.connection = connection
        established = eventLoop.makePromise()
        ended = eventLoop.makePromise()
    }

    func send(stream: UInt32, _ message: [UInt8]) -> Bool {
        guard connection.isEstablished else { return false }
        let outcome = connection.sendData(stream: stream, payload: message, now: LightSessionHandler.clock())
        flushOutbound()
        if case .streamNotOpen = outcome { return false }
        return true
    }

    func closeStream(_ stream: UInt32) {
        connection.closeStream(stream, code: .normal, reason: "done", now: LightSessionHandler.clock())
        flushOutbound()
    }

    func close() {
        closedLocally = true
        connection.close(code: .normal, reason: "bye", now: LightSessionHandler.clock())
        flushOutbound()
        context?.close(promise: nil)
    }

    var isOpen: Bool { connection.isEstablished }

    func markClosedLocally() {
        closedLocally = true
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
        ended.succeed(closedLocally ? .byClient : .dropped)
        self.context = nil
    }

    /// A connect that fails never makes the channel active or inactive; the promises still end.
    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        established.fail(BenchError("connection closed before the handshake finished"))
        ended.succeed(closedLocally ? .byClient : .dropped)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func handle(_ events: [ConnectionEvent]) {
        for event in events {
            switch event {
            case .established:
                established.succeed()
            case .data(let stream, let payload):
                received[stream, default: 0] += payload.readableBytes
            case .closed(let reason):
                flushOutbound()
                established.fail(ChurnRefused(reason: reason))
                ended.succeed(closedLocally ? .byClient : .byConnection(reason))
                context?.close(promise: nil)
            case .streamOpened, .streamRejected, .streamClosed, .streamWritable, .pong:
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

/// How a churn session ended.
enum ChurnEnd: Sendable, Equatable {
    /// This side closed it (CLOSE or abrupt).
    case byClient
    /// The connection ended with this reason: the server's CLOSE, or a rule this side applied.
    case byConnection(ConnectionCloseReason)
    /// TCP ended with no CLOSE from the server.
    case dropped
}

/// The handshake ended with this reason instead of a session (e.g. the server refused the token).
struct ChurnRefused: Error {
    var reason: ConnectionCloseReason
}
