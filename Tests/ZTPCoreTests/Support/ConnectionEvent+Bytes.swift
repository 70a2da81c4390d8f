import NIOCore
import ZTPCore

extension ConnectionEvent {
    /// A DATA event built from bytes, for comparing with what a connection reported.
    static func data(stream: UInt32, payload: [UInt8]) -> ConnectionEvent {
        .data(stream: stream, payload: ByteBuffer(bytes: payload))
    }
}
