import ArgumentParser
import NIOCore

/// `ztp-bench tcp-echo`: a plain SwiftNIO TCP echo server, the round-trip baseline for `ping`.
///
/// Same bootstrap options as the ZTP listener (TCP_NODELAY, one flush per read batch), no
/// crypto and no framing. Prints `ready PORT` on stdout once bound; runs until killed.
struct TCPEchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tcp-echo", abstract: "Run a plain TCP echo server.")

    @Option(help: "Listen address HOST:PORT (port 0 picks one)")
    var listen = "127.0.0.1:0"

    func run() async throws {
        try await PlainServer.run(listen: listen) { EchoBytesHandler() }
    }
}

/// Writes back what it reads; flushes once per read batch.
final class EchoBytesHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}
