import ArgumentParser
import NIOCore

/// `ztp-bench accept-close`: a bare SwiftNIO server that closes every connection it accepts, the
/// share of a handshake's server CPU that is the kernel's and NIO's (accept, register, close)
/// rather than ZTP's. Prints `ready PORT` once bound; runs until killed.
struct AcceptCloseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "accept-close",
                                                    abstract: "Run a server that closes every connection it accepts.")

    @Option(help: "Listen address HOST:PORT (port 0 picks one)")
    var listen = "127.0.0.1:0"

    func run() async throws {
        try await PlainServer.run(listen: listen) { CloseOnActive() }
    }
}

/// Closes the connection as soon as it is active.
final class CloseOnActive: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}
