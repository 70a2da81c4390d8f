import NIOCore
import Synchronization
import ZTPCore
import ZTPServer

/// Stream 10 (and 101 to 131), sink: counts the bytes of every message; the 4-byte message `done` is answered
/// with the count so far, in decimal, and the count starts again.
///
/// Messages on one stream arrive in order, so the answer to `done` proves that everything
/// sent before it was received, decrypted and handed to the handler.
struct SinkHandler: StreamHandler {
    static let streamID: UInt32 = 10
    /// More sink streams, for many streams on one session (each id has one handler).
    static let moreStreamIDs: ClosedRange<UInt32> = 101...131
    static let done: [UInt8] = Array("done".utf8)
    let kind = "bench-sink"
    private let counts = ByteCounts()

    func receive(_ message: ByteBuffer, on stream: StreamContext) {
        let key = StreamKey(session: stream.sessionID, stream: stream.streamID)
        if message.readableBytesView.elementsEqual(SinkHandler.done) {
            stream.reply(String(counts.take(key)))
        } else {
            counts.add(message.readableBytes, to: key)
        }
    }

    func closed(_ stream: StreamContext, code: CloseCode?) {
        _ = counts.take(StreamKey(session: stream.sessionID, stream: stream.streamID))
    }
}

/// One stream of one session.
struct StreamKey: Hashable, Sendable {
    var session: String
    var stream: UInt32
}

/// Byte counts per stream, shared by all sessions (handlers are values shared by all).
final class ByteCounts: Sendable {
    private let counts = Mutex<[StreamKey: Int]>([:])

    func add(_ count: Int, to key: StreamKey) {
        counts.withLock { $0[key, default: 0] += count }
    }

    /// The count so far, forgetting it.
    func take(_ key: StreamKey) -> Int {
        counts.withLock { $0.removeValue(forKey: key) ?? 0 }
    }
}
