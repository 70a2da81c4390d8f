import CMicroHTTPD
import HTTPTypes
import OpenAPIRuntime

/// One request, from its headers to libmicrohttpd's completed callback.
///
/// libmicrohttpd calls the access handler for a connection on one thread at a time; the
/// handler's task finishes on any thread. They meet under `state`'s lock: the first access call
/// starts the task, the upload calls feed its request body, and the call after the upload
/// suspends the connection unless the answer is already there; the task stores the answer and
/// resumes the connection if it was suspended; the next access call queues it. No MHD thread
/// ever waits for a handler.
final class Exchange: @unchecked Sendable {
    /// An answer ready to queue.
    enum Reply: Sendable {
        case buffered(HTTPResponse, [UInt8])
        /// Unknown length: sent chunked as the body produces it.
        case streamed(HTTPResponse, HTTPBody)
    }

    private enum Phase {
        /// Headers and body arriving.
        case reading
        /// The handler is working.
        case running(Task<Void, Never>?)
        /// The answer waits for the next access call.
        case ready(Reply)
        /// Handed to libmicrohttpd (or the request was refused before a handler ran).
        case queued
    }

    private struct State {
        var phase = Phase.reading
        /// The connection is suspended and nobody has resumed it.
        var suspended = false
        /// Resumed, and libmicrohttpd has not called the access handler since.
        var awaitingCall = false
        var stream: ResponseStream?
        var bodyContinuation: AsyncThrowingStream<ArraySlice<UInt8>, any Error>.Continuation?
        var completeBody: [UInt8]?
    }

    let connection: OpaquePointer
    let method: String
    let rawPath: String
    let remoteAddress: String
    let started: ContinuousClock.Instant
    /// Touched only by the access handler's calls.
    let body: RequestBody
    /// The route label; set by the access handler before anything is answered.
    var route = RouteTable.unmatched

    private let state = Locked(State())

    init(connection: OpaquePointer, method: String, rawPath: String, remoteAddress: String, bodyLimit: Int) {
        self.connection = connection
        self.method = method
        self.rawPath = rawPath
        self.remoteAddress = remoteAddress
        self.started = .now
        self.body = RequestBody(limit: bodyLimit, started: started)
    }

    /// Starts `work` in a task, while the request body (if any) may still be arriving.
    func start(_ work: @escaping @Sendable () async -> Reply) {
        state.withLock { $0.phase = .running(nil) }
        let task = Task { self.complete(with: await work()) }
        state.withLock { state in
            if case .running = state.phase { state.phase = .running(task) }
        }
    }

    /// What the access call after the upload does: queue the reply if it is there, else suspend
    /// the connection until `complete` resumes it.
    enum Next {
        case reply(Reply)
        case suspended
        /// Already answered (a refusal), or nothing was started.
        case nothing
    }

    func replyOrSuspend() -> Next {
        state.withLock { state in
            state.awaitingCall = false
            switch state.phase {
            case .ready(let reply):
                state.phase = .queued
                return .reply(reply)
            case .running:
                state.suspended = true
                MHD_suspend_connection(connection)
                return .suspended
            case .reading, .queued:
                return .nothing
            }
        }
    }

    // MARK: The request body, streamed to the handler as it arrives

    /// The body the handler reads, fed by `receiveBody` and ended by `endBody` or `failBody`.
    func makeBody(length: HTTPBody.Length) -> HTTPBody {
        let (stream, continuation) = AsyncThrowingStream<ArraySlice<UInt8>, any Error>.makeStream()
        state.withLock { $0.bodyContinuation = continuation }
        return HTTPBody(stream, length: length, iterationBehavior: .single)
    }

    func receiveBody(_ chunk: UnsafeRawBufferPointer) {
        let continuation = state.withLock { $0.bodyContinuation }
        continuation?.yield(ArraySlice(chunk))
    }

    /// The upload is complete: `bytes` (all of it, within the limit) stay readable for error
    /// details, and the handler's body ends.
    func endBody(_ bytes: [UInt8]) {
        let continuation = state.withLock { state in
            state.completeBody = bytes
            defer { state.bodyContinuation = nil }
            return state.bodyContinuation
        }
        continuation?.finish()
    }

    /// The upload went over the limit, or the request is gone: the handler's body fails.
    func failBody(_ error: any Error) {
        let continuation = state.withLock { state in
            defer { state.bodyContinuation = nil }
            return state.bodyContinuation
        }
        continuation?.finish(throwing: error)
    }

    /// The whole request body once the upload has completed; nil before (or without a body).
    var completeBody: [UInt8]? {
        state.withLock { $0.completeBody }
    }

    /// Stores the answer unless one is there already (shutdown may answer first).
    func complete(with reply: Reply) {
        let resume = state.withLock { state -> Bool in
            guard case .running = state.phase else { return false }
            state.phase = .ready(reply)
            guard state.suspended else { return false }
            state.suspended = false
            state.awaitingCall = true
            return true
        }
        if resume { MHD_resume_connection(connection) }
    }

    /// Marks the request answered by the transport itself.
    func markQueued() {
        state.withLock { $0.phase = .queued }
    }

    var isRunning: Bool {
        state.withLock { if case .running = $0.phase { true } else { false } }
    }

    /// The connection is parked where only a resume reaches it; libmicrohttpd must not be
    /// stopped before it has been called again.
    var isAwaitingCall: Bool {
        let (own, stream) = state.withLock { ($0.suspended || $0.awaitingCall, $0.stream) }
        return own || (stream?.isAwaitingCall ?? false)
    }

    func attach(_ stream: ResponseStream) {
        state.withLock { $0.stream = stream }
    }

    /// Ends a streamed body: what is buffered is sent, then the response ends.
    func finishStream() {
        state.withLock { $0.stream }?.finish()
    }

    /// For shutdown and for requests that are gone: cancels the handler, fails a request body
    /// still arriving and ends a streamed response body.
    func cancel() {
        failBody(CancellationError())
        let (task, stream) = state.withLock { state -> (Task<Void, Never>?, ResponseStream?) in
            if case .running(let task) = state.phase { return (task, state.stream) }
            return (nil, state.stream)
        }
        task?.cancel()
        stream?.finish()
    }
}
