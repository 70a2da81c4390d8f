/// The body of one request as it streams in, bounded by the daemon's body limit.
///
/// Owned by one connection's access-handler calls, which libmicrohttpd makes on one thread at a
/// time; allocated on the first call and freed by the request-completed callback.
final class RequestBody {
    /// Where the request stands.
    enum State {
        /// Chunks are being collected; `bytes.count` never exceeds the limit.
        case receiving(bytes: [UInt8])
        /// The body went over the limit; all bytes seen so far are counted, none kept.
        case tooLarge(discarded: Int)
        /// A response has been queued; anything still arriving is ignored.
        case answered
    }

    /// What the access handler should do after a chunk.
    enum ChunkAction: Equatable {
        case keepReading
        /// The limit was just crossed: answer 413 now.
        case rejectTooLarge
        /// The client keeps sending far past the limit (`discardAllowance`): close the connection.
        case closeConnection
    }

    /// Bytes read and dropped past the limit before the connection is closed instead.
    static let discardAllowance = 8 << 20

    let started: ContinuousClock.Instant
    private(set) var state: State = .receiving(bytes: [])
    private let limit: Int

    init(limit: Int, started: ContinuousClock.Instant = .now) {
        self.limit = limit
        self.started = started
    }

    /// Takes an upload chunk; bytes beyond the limit are never stored.
    func receive(_ chunk: UnsafeRawBufferPointer) -> ChunkAction {
        switch state {
        case var .receiving(bytes):
            guard chunk.count <= limit - bytes.count else {
                state = .tooLarge(discarded: bytes.count + chunk.count)
                return .rejectTooLarge
            }
            // Drop our reference before appending so the array is uniquely owned, not copied.
            state = .answered
            bytes.append(contentsOf: chunk)
            state = .receiving(bytes: bytes)
            return .keepReading
        case let .tooLarge(discarded):
            let total = discarded + chunk.count
            state = .tooLarge(discarded: total)
            // libmicrohttpd 0.9.75 refuses a response queued mid-upload, so the 413 goes out once
            // the upload ends. Discarding a bounded amount lets a client that sends a whole
            // oversized body see it; past that the peer may never stop, and only closing ends it.
            return total > limit + Self.discardAllowance ? .closeConnection : .keepReading
        case .answered:
            return .keepReading
        }
    }

    /// The whole body, once the upload has ended within the limit; nil otherwise.
    var completeBody: [UInt8]? {
        if case let .receiving(bytes) = state { return bytes }
        return nil
    }

    var isTooLarge: Bool {
        if case .tooLarge = state { return true }
        return false
    }

    func markAnswered() {
        state = .answered
    }
}
