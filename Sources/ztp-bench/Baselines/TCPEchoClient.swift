import NIOCore
import NIOPosix
import ZTPNIO

/// The client side of the plain TCP echo baseline, built like ZTPClient's stream path: a send
/// handed to the channel's event loop without waiting for it (as `SendGate` does while the
/// window admits), replies handed to an async sequence.
final class TCPEchoClient: Sendable {
    private let channel: any Channel
    private let inbox: AsyncStream<ByteBuffer>

    private init(channel: any Channel, inbox: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.inbox = inbox
    }

    static func connect(port: Int) async throws -> TCPEchoClient {
        let (inbox, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .noDelay()
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(InboxHandler(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TCPEchoClient(channel: channel, inbox: inbox)
    }

    /// Seconds for `message` to go out and all of it to come back.
    func roundTrip(_ message: [UInt8], iterator: inout AsyncStream<ByteBuffer>.Iterator) async throws -> Double {
        let start = now()
        let channel = self.channel
        channel.eventLoop.execute {
            channel.writeAndFlush(channel.allocator.buffer(bytes: message), promise: nil)
        }
        var received = 0
        while received < message.count {
            guard let buffer = await iterator.next() else { throw BenchError("echo server closed") }
            received += buffer.readableBytes
        }
        return now() - start
    }

    func makeIterator() -> AsyncStream<ByteBuffer>.Iterator { inbox.makeAsyncIterator() }

    func close() async {
        try? await channel.close()
    }
}

/// Yields every read to the client's async sequence.
private final class InboxHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncStream<ByteBuffer>.Continuation

    init(continuation: AsyncStream<ByteBuffer>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        continuation.yield(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
    }
}
