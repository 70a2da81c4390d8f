import NIOCore
import Synchronization

/// The messages of one stream, between the event loop that delivers them and the task that
/// reads them.
///
/// Credit may go back to the server only for messages the reader has taken (section 4.1), so
/// that a reader that stops also stops the server. With `AsyncThrowingStream` every message
/// therefore cost a second hop, from the reader back to the loop, to report it; in a download
/// that hop sat in the credit loop and halved the throughput. Here the loop sees whether a
/// reader is already waiting: then it hands the message over and counts it consumed at once.
/// Only a message that waits in the buffer is reported later, by the reader that takes it.
/// The buffer holds at most the stream's window: the server cannot send beyond its credit.
final class StreamInbox: Sendable {
    /// A message, and whether it came from the buffer (then the reader reports it consumed).
    typealias Taken = (message: [UInt8], fromBuffer: Bool)

    private struct State {
        var buffer = CircularBuffer<[UInt8]>()
        var reader: CheckedContinuation<Taken?, any Error>?
        var ended = false
        /// Thrown once, after the buffer drains; then the sequence returns nil.
        var endError: ZTPClientError?
    }

    /// What `next` found without waiting.
    private enum Immediate {
        case message([UInt8])
        case end(ZTPClientError?)
        case waiting
        case busy
        case cancelled
    }

    private let state = Mutex(State())

    /// On the loop. True when a waiting reader took the message, which is then consumed.
    func deliver(_ message: [UInt8]) -> Bool {
        let reader = state.withLock { state -> CheckedContinuation<Taken?, any Error>? in
            guard !state.ended else { return nil }
            if let reader = state.reader {
                state.reader = nil
                return reader
            }
            state.buffer.append(message)
            return nil
        }
        reader?.resume(returning: (message, false))
        return reader != nil
    }

    /// Ends the sequence after what is buffered: normally (nil), or with `error`.
    func finish(throwing error: ZTPClientError? = nil) {
        let reader = state.withLock { state -> CheckedContinuation<Taken?, any Error>? in
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

    /// The next message, and whether it came from the buffer (then the caller reports it
    /// consumed); nil once the stream has ended.
    func next() async throws -> Taken? {
        switch take(waitingWith: nil) {
        case .message(let message): return (message, true)
        case .end(let error): if let error { throw error } else { return nil }
        case .waiting, .busy, .cancelled: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Taken?, any Error>) in
                switch take(waitingWith: continuation) {
                // It arrived between the first look and now: still from the buffer.
                case .message(let message): continuation.resume(returning: (message, true))
                case .end(let error): if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: nil) }
                case .waiting: break
                case .busy: continuation.resume(throwing: ZTPClientError(.closedLocally, "another task is already reading this stream"))
                case .cancelled: continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let reader = state.withLock { state -> CheckedContinuation<Taken?, any Error>? in
                defer { state.reader = nil }
                return state.reader
            }
            reader?.resume(throwing: CancellationError())
        }
    }

    /// Whether a reader is parked (for tests).
    var hasWaitingReader: Bool { state.withLock { $0.reader != nil } }

    /// Takes a buffered message or the end; otherwise parks `continuation` as the reader.
    private func take(waitingWith continuation: CheckedContinuation<Taken?, any Error>?) -> Immediate {
        state.withLock { state in
            if let message = state.buffer.popFirst() { return .message(message) }
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
