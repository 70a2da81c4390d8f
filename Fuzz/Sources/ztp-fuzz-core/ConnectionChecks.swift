import FuzzSupport
import ZTPCore

/// The invariants every connection keeps whatever the peer sends:
/// - nothing follows `.closed`, and `.closed` comes exactly when the connection says it is closed;
/// - `.established` comes once, before any stream event;
/// - (server) a message arrives only on a stream that was opened and not yet closed, never more
///   streams are open than the session's limit, and a refused stream never carries messages;
/// - messages are never empty and never larger than max_frame;
/// - nothing is queued that this side did not send, and nothing is written after the close.
struct ConnectionChecks {
    let isServer: Bool
    let maxStreams: Int
    private(set) var closed = false
    private(set) var established = false
    private var openStreams: Set<UInt32> = []

    init(isServer: Bool, maxStreams: Int) {
        self.isServer = isServer
        self.maxStreams = maxStreams
    }

    mutating func check(_ events: [ConnectionEvent], isClosed: Bool, isEstablished: Bool, streamCount: Int, queuedBytes: Int) {
        for event in events {
            invariant(!closed, "event \(event) after .closed")
            switch event {
            case .established:
                invariant(!established, "established twice")
                established = true
            case .closed:
                closed = true
            case .streamOpened(let stream):
                invariant(isServer, "client saw a stream opened by the server")
                invariant(established, "stream opened before the handshake")
                invariant(!openStreams.contains(stream), "stream \(stream) opened twice")
                openStreams.insert(stream)
                invariant(openStreams.count <= maxStreams, "\(openStreams.count) streams open, limit \(maxStreams)")
            case .streamRejected(let stream, _):
                invariant(established, "stream rejected before the handshake")
                invariant(!openStreams.contains(stream), "open stream \(stream) reported rejected")
            case .data(let stream, let payload):
                invariant(established, "data before the handshake")
                invariant(payload.readableBytes > 0, "empty message delivered")
                invariant(payload.readableBytes <= FrameType.maxDataPayload, "message above max_frame")
                invariant(stream >= 1 && stream <= FrameType.maxStreamID, "data on stream \(stream)")
                if isServer { invariant(openStreams.contains(stream), "data on stream \(stream) that is not open") }
            case .streamClosed(let stream, _, _, _):
                invariant(established, "stream closed before the handshake")
                if isServer { openStreams.remove(stream) }
            case .streamWritable, .pong:
                invariant(established, "\(event) before the handshake")
            }
        }
        invariant(isClosed == closed, "isClosed \(isClosed) but .closed seen \(closed)")
        invariant(isEstablished == (established && !closed), "isEstablished \(isEstablished) disagrees with the events")
        invariant(streamCount <= maxStreams + 2, "\(streamCount) streams in the table")
        invariant(queuedBytes <= SessionLimits().queuedBytes, "\(queuedBytes) bytes queued")
    }
}

/// How a connection target feeds its input: the first byte picks the read size and the clock.
struct Feeding {
    /// Bytes per `receive`, like the reads a socket hands over.
    let chunk: Int
    /// Seconds that pass between reads.
    let step: Double
    /// Whether the clock jumps 100 s at the end (idle, heartbeat and handshake limits).
    let tickAtEnd: Bool

    init(_ control: UInt8) {
        chunk = [Int.max, 1, 13, 1000][Int(control & 3)]
        tickAtEnd = control & 4 != 0
        step = [0, 0.5, 5, 31][Int(control >> 3 & 3)]
    }
}
