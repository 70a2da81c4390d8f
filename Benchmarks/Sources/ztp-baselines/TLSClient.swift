import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// The client side of both measurements: one TLS 1.3 connection to the baseline server.
enum TLSClient {
    typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Connects and completes the TLS handshake (not part of any figure), then checks that TLS
    /// 1.3 with ChaCha20-Poly1305 was negotiated.
    static func connect(port: Int) async throws -> Connection {
        let context = try TLSSetup.clientContext()
        let (connection, handshake, suite) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let suite = channel.eventLoop.makePromise(of: UInt16.self)
                    let handshake = HandshakeWaiter(done: channel.eventLoop.makePromise())
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ServerHelloSniffer(suite: suite))
                    try pipeline.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try pipeline.addHandler(handshake)
                    let connection = try Connection(wrappingChannelSynchronously: channel)
                    return (connection, handshake.done.futureResult, suite.futureResult)
                }
            }
        try await handshake.get()
        let negotiated = try await suite.get()
        guard negotiated == ChaChaOnly.suite else {
            throw BaselineError(String(format: "negotiated cipher suite 0x%04x, not TLS_CHACHA20_POLY1305_SHA256", negotiated))
        }
        guard try await connection.channel.nioSSL_tlsVersion().get() == .tlsv13 else {
            throw BaselineError("negotiated a TLS version other than 1.3")
        }
        return connection
    }
}

/// Completes `done` when the TLS handler reports the handshake complete.
final class HandshakeWaiter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let done: EventLoopPromise<Void>
    private var finished = false

    init(done: EventLoopPromise<Void>) {
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event, !finished {
            finished = true
            done.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !finished {
            finished = true
            done.fail(error)
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished {
            finished = true
            done.fail(BaselineError("the connection closed during the TLS handshake"))
        }
        context.fireChannelInactive()
    }
}
