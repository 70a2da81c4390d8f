import NIOCore
import ZTPServer

/// Stream 11, echo: every message goes back unchanged.
struct EchoHandler: StreamHandler {
    static let streamID: UInt32 = 11
    let kind = "bench-echo"

    func receive(_ message: ByteBuffer, on stream: StreamContext) {
        stream.reply(Array(buffer: message))
    }
}
