import CMicroHTTPD
import OpenAPIRuntime

/// A response body of unknown length (an event stream), pulled from its `HTTPBody` by a task
/// and handed to libmicrohttpd's content-reader callback, chunked.
///
/// Back-pressure runs both ways without blocking an MHD thread: the task stops pulling while
/// `limit` bytes wait for the client, and a reader callback that finds nothing to send suspends
/// the connection (returning 0 would make libmicrohttpd spin), to be resumed when bytes arrive
/// or the body ends. Once libmicrohttpd frees the response (client gone, or sent), the task is
/// cancelled and the connection is never touched again.
final class ResponseStream: @unchecked Sendable {
    private struct State {
        var buffer: [UInt8] = []
        var offset = 0
        var finished = false
        /// The reader suspended the connection and no one has resumed it yet.
        var readerSuspended = false
        /// Resumed, and libmicrohttpd has not called the reader since.
        var awaitingCall = false
        /// The response is freed: the connection must not be resumed any more.
        var released = false
        var spaceWaiter: CheckedContinuation<Void, Never>?
        var task: Task<Void, Never>?

        var pending: Int { buffer.count - offset }

        /// Whether the caller must resume the connection (the reader is waiting for bytes).
        mutating func takeWake() -> Bool {
            guard readerSuspended, !released else { return false }
            readerSuspended = false
            awaitingCall = true
            return true
        }
    }

    private let connection: OpaquePointer
    private let limit: Int
    private let state = Locked(State())

    init(connection: OpaquePointer, limit: Int) {
        self.connection = connection
        self.limit = limit
    }

    /// Starts pulling `body`.
    func start(_ body: HTTPBody) {
        let task = Task {
            do {
                for try await chunk in body {
                    guard await self.append(chunk) else { break }
                }
            } catch {
                // A body that fails mid-stream ends the response; the status is already out.
            }
            self.finish()
        }
        state.withLock { $0.task = task }
    }

    /// False when the stream is already over (client gone, shutdown).
    private func append(_ chunk: ArraySlice<UInt8>) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                guard state.pending >= limit, !state.finished else { return true }
                state.spaceWaiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        let (accepted, wake) = state.withLock { state -> (Bool, Bool) in
            guard !state.finished else { return (false, false) }
            state.buffer.append(contentsOf: chunk)
            return (true, state.takeWake())
        }
        if wake { MHD_resume_connection(connection) }
        return accepted
    }

    /// Ends the body: what is buffered is still sent, then the chunked response ends.
    func finish() {
        let (wake, waiter) = state.withLock { state in
            state.finished = true
            defer { state.spaceWaiter = nil }
            return (state.takeWake(), state.spaceWaiter)
        }
        waiter?.resume()
        if wake { MHD_resume_connection(connection) }
    }

    /// Resumed by `append` or `finish` and not yet called again by libmicrohttpd.
    var isAwaitingCall: Bool {
        state.withLock { $0.readerSuspended || $0.awaitingCall }
    }

    /// libmicrohttpd's content-reader callback, on the connection's thread.
    func read(into destination: UnsafeMutablePointer<CChar>, max: Int) -> Int {
        var waiter: CheckedContinuation<Void, Never>?
        let result = state.withLock { state -> Int in
            state.awaitingCall = false
            let pending = state.pending
            guard pending > 0 else {
                if state.finished { return -1 }  // MHD_CONTENT_READER_END_OF_STREAM
                state.readerSuspended = true
                MHD_suspend_connection(connection)
                return 0
            }
            let count = min(pending, max)
            state.buffer.withUnsafeBytes { bytes in
                UnsafeMutableRawPointer(destination).copyMemory(from: bytes.baseAddress! + state.offset, byteCount: count)
            }
            state.offset += count
            if state.offset == state.buffer.count {
                state.buffer.removeAll(keepingCapacity: true)
                state.offset = 0
            } else if state.offset >= limit {
                state.buffer.removeFirst(state.offset)
                state.offset = 0
            }
            if state.pending < limit {
                waiter = state.spaceWaiter
                state.spaceWaiter = nil
            }
            return count
        }
        waiter?.resume()
        return result
    }

    /// libmicrohttpd freed the response: stop pulling, release what is held.
    func release() {
        let (task, waiter) = state.withLock { state in
            state.released = true
            state.finished = true
            state.readerSuspended = false
            state.awaitingCall = false
            state.buffer = []
            state.offset = 0
            defer { state.spaceWaiter = nil }
            return (state.task, state.spaceWaiter)
        }
        task?.cancel()
        waiter?.resume()
    }
}

