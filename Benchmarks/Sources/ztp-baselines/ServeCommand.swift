import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// `ztp-baselines serve`: the TLS server. TCP_NODELAY and one flush per read batch, as the ZTP
/// listener and `ztp-bench tcp-echo`. Prints `ready PORT` once bound; runs until killed.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the TLS 1.3 baseline server.")

    @OptionGroup var certificate: CertificateOptions

    @Option(help: "Listen address (port 0 picks one)")
    var host = "127.0.0.1"

    @Option(help: "Port (0 picks one)")
    var port = 0

    @Flag(help: "Exit when standard input reaches its end (the parent that started it has gone)")
    var exitWithStdin = false

    func run() async throws {
        try ChaChaOnly.ensure()
        if exitWithStdin {
            Thread.detachNewThread {
                var byte: UInt8 = 0
                while read(0, &byte, 1) > 0 {}
                Foundation.exit(0)
            }
        }
        let context = try TLSSetup.serverContext(certificate)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // A TCP-level option: `.socketOption(.tcp_nodelay)` would be SOL_SOCKET's SO_DEBUG.
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(BaselineServerHandler())
                }
            }
            .bind(host: host, port: port).get()
        print("ready \(channel.localAddress?.port ?? 0)")
        fflush(nil)
        try await channel.closeFuture.get()
    }
}

/// Serves one request (see `BaselineRequest`) on plaintext the TLS handler has opened.
final class BaselineServerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case awaitingRequest(ByteBuffer)
        case sinking(remaining: UInt64)
        case sourcing(remaining: UInt64, chunk: ByteBuffer)
        case echoing
        case done
    }

    private var state = State.awaitingRequest(ByteBuffer())

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch state {
        case .awaitingRequest(var head):
            head.writeBuffer(&bytes)
            do {
                guard let request = try BaselineRequest(from: &head) else {
                    state = .awaitingRequest(head)
                    return
                }
                start(request, rest: head, context: context)
            } catch {
                context.close(promise: nil)
            }
        case .sinking(let remaining):
            sink(bytes.readableBytes, remaining: remaining, context: context)
        case .echoing:
            context.write(wrapOutboundOut(bytes), promise: nil)
        case .sourcing, .done:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .echoing = state { context.flush() }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump(context: context) }
        context.fireChannelWritabilityChanged()
    }

    private func start(_ request: BaselineRequest, rest: ByteBuffer, context: ChannelHandlerContext) {
        switch request.operation {
        case .upload:
            state = .sinking(remaining: request.count)
            sink(rest.readableBytes, remaining: request.count, context: context)
        case .download:
            let chunk = context.channel.allocator.buffer(repeating: 0xA5, count: Int(request.chunk))
            state = .sourcing(remaining: request.count, chunk: chunk)
            pump(context: context)
        case .echo:
            state = .echoing
            if rest.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(rest), promise: nil) }
        }
    }

    private func sink(_ count: Int, remaining: UInt64, context: ChannelHandlerContext) {
        let left = remaining - min(remaining, UInt64(count))
        guard left == 0 else {
            state = .sinking(remaining: left)
            return
        }
        state = .done
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(integer: UInt8(1))), promise: nil)
    }

    /// Writes chunks while the channel takes them; `channelWritabilityChanged` resumes. Each
    /// is flushed: the TLS handler seals on flush, and only sealed bytes count against the
    /// channel's writability.
    private func pump(context: ChannelHandlerContext) {
        guard case .sourcing(var remaining, let chunk) = state else { return }
        while remaining > 0 && context.channel.isWritable {
            let size = Int(min(remaining, UInt64(chunk.readableBytes)))
            context.writeAndFlush(wrapOutboundOut(chunk.getSlice(at: chunk.readerIndex, length: size)!), promise: nil)
            remaining -= UInt64(size)
        }
        state = remaining == 0 ? .done : .sourcing(remaining: remaining, chunk: chunk)
    }
}
