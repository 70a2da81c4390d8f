import NIOCore

/// Reads the cipher suite out of the server's first record (a plaintext ServerHello), passing
/// every byte on unchanged: below the TLS handler, it sees what the wire carries.
final class ServerHelloSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let suite: EventLoopPromise<UInt16>
    private var head = ByteBuffer()
    private var done = false

    init(suite: EventLoopPromise<UInt16>) {
        self.suite = suite
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        head.writeBuffer(&bytes)
        // Passed on before this handler leaves the pipeline: once out, it has no next handler.
        context.fireChannelRead(data)
        if !done, let parsed = Self.cipherSuite(in: head) {
            done = true
            switch parsed {
            case .success(let value): suite.succeed(value)
            case .failure(let error): suite.fail(error)
            }
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done { suite.fail(BaselineError("the connection closed before a ServerHello")) }
        done = true
        context.fireChannelInactive()
    }

    /// The ServerHello's cipher suite once enough bytes are in: record header (5), handshake
    /// header (4), legacy version (2), random (32), session id (1 + n), then the suite (2).
    static func cipherSuite(in buffer: ByteBuffer) -> Result<UInt16, BaselineError>? {
        guard let recordType = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let messageType = buffer.getInteger(at: buffer.readerIndex + 5, as: UInt8.self) else { return nil }
        guard recordType == 0x16, messageType == 0x02 else {
            return .failure(BaselineError("the server's first record is no ServerHello (\(recordType), \(messageType))"))
        }
        guard let sessionIDLength = buffer.getInteger(at: buffer.readerIndex + 43, as: UInt8.self),
              let suite = buffer.getInteger(at: buffer.readerIndex + 44 + Int(sessionIDLength), as: UInt16.self) else { return nil }
        return .success(suite)
    }
}
