import NIOCore
import ZTPCore
import ZTPServer

/// Stream 12, source: the request `N` (decimal) is answered with N bytes in 64 KiB messages.
///
/// Replies take the normal path: sent while the client's window admits them, queued behind it
/// otherwise. The session's queue is bounded (1 MiB), so the client keeps at most that much
/// requested and not yet read; a client that asks for more is closed as a slow consumer.
struct SourceHandler: StreamHandler {
    static let streamID: UInt32 = 12
    static let chunk = [UInt8](repeating: 0x5A, count: FrameType.maxDataPayload)
    let kind = "bench-source"

    func receive(_ message: ByteBuffer, on stream: StreamContext) {
        guard let text = String(validating: message.readableBytesView, as: UTF8.self), var remaining = Int(text), remaining >= 0 else {
            return stream.close(code: .protocolError, reason: "expected a byte count")
        }
        while remaining > 0 {
            let count = min(remaining, SourceHandler.chunk.count)
            stream.reply(count == SourceHandler.chunk.count ? SourceHandler.chunk : Array(SourceHandler.chunk[0..<count]))
            remaining -= count
        }
    }
}
