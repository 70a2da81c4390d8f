import NIOCore
import NIOConcurrencyHelpers

/// The messages of one stream, between the event loop that delivers them and the task that
/// reads them, with the decision of when their flow-control credit goes back.
///
/// Credit must stop when the reader stops (section 4.1), so that a reader that never reads
/// also stops the server. It need not wait for the reader to be scheduled, though: when credit
/// went back only as the reading task took each message, every credit cycle of a download
/// waited for that task to get a CPU, and on a busy 2-core machine the transfer ran at 100 to
/// 600 MB/s from one run to the next. So the loop counts a message consumed at once when a
/// reader is waiting for it, or when the messages already counted but still unread stay within
/// one window (`creditedLimit`). Beyond that, the reader reports a message when it takes it.
/// The buffer is bounded: at most `creditedLimit` counted bytes, plus what the server may send
/// on the credit given, which is one window more.
final class StreamInbox: Sendable {
    /// A message, and whether the reader must report it consumed (the loop did not count it).
    typealias Taken = (message: [UInt8], report: Bool)

    private struct State {
        var buffer = CircularBuffer<(message: [UInt8], counted: Bool)>()
        /// Bytes in `buffer` that the loop counted consumed already.
        var countedBytes = 0
        var reader: CheckedContinuation<Taken?, any Error>?
        var ended = false
        /// Thrown once, after the buffer drains; then the sequence returns nil.
        var endError: ZTPClientError?
    }

    /// What `next` found without waiting.
    private enum Immediate {
        case message(Taken)
        case end(ZTPClientError?)
        case waiting
        case busy
        case cancelled
    }

    let creditedLimit: Int
    private let state = NIOLockedValueBox(State())

    /// - Parameter creditedLimit: unread bytes the loop may count consumed; the stream window.
    init(creditedLimit: Int) {
        self.creditedLimit = creditedLimit
    }

    /// On the loop. True when the message counts as consumed now (credit may go back).
    func deliver(_ message: [UInt8]) -> Bool {
        let (reader, counted) = state.withLockedValue { state -> (CheckedContinuation<Taken?, any Error>?, Bool) in
            guard !state.ended else { return (nil, false) }
            if let reader = state.reader {
                state.reader = nil
                return (reader, true)
            }
            let counted = state.countedBytes + message.count <= creditedLimit
            if counted { state.countedBytes += message.count }
            state.buffer.append((message, counted))
            return (nil, counted)
        }
        reader?.resume(returning: (message, false))
        return counted
    }

    /// Ends the sequence after what is buffered: normally (nil), or with `error`.
    func finish(throwing error: ZTPClientError? = nil) {
        let reader = state.withLockedValue { state -> CheckedContinuation<Taken?, any Error>? in
            guard !state.ended else { return nil }
            state.ended = true
            // A waiting reader means the buffer is empty: the end goes straight to it.
            guard let reader = state.reader else {
                state.endError = error
                return nil
            }
            state.reader = nil
            return reader
        }
        if let error { reader?.resume(throwing: error) } else { reader?.resume(returning: nil) }
    }

    /// The next message; nil once the stream has ended.
    func next() async throws -> Taken? {
        switch take(waitingWith: nil) {
        case .message(let taken): return taken
        case .end(let error): if let error { throw error } else { return nil }
        case .waiting, .busy, .cancelled: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Taken?, any Error>) in
                switch take(waitingWith: continuation) {
                case .message(let taken): continuation.resume(returning: taken)
                case .end(let error): if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
                case .waiting: break
                case .busy: continuation.resume(throwing: ZTPClientError(.closedLocally, "another task is already reading this stream"))
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let reader = state.withLockedValue { state -> CheckedContinuation<Taken?, any Error>? in
                defer { state.reader = nil }
                return state.reader
            }
            reader?.resume(throwing: CancellationError())
        }
    }

    /// Whether a reader is parked (for tests).
    var hasWaitingReader: Bool { state.withLockedValue { $0.reader != nil } }

    /// Takes a buffered message or the end; otherwise parks `continuation` as the reader.
    private func take(waitingWith continuation: CheckedContinuation<Taken?, any Error>?) -> Immediate {
        state.withLockedValue { state in
            if let (message, counted) = state.buffer.popFirst() {
                if counted { state.countedBytes -= message.count }
                return .message((message, !counted))
            }
            if state.ended {
                defer { state.endError = nil }
                return .end(state.endError)
            }
            guard let continuation else { return .waiting }
            if state.reader != nil { return .busy }
            if Task.isCancelled { return .cancelled }
            state.reader = continuation
            return .waiting
        }
    }
}
