import CMicroHTTPD
import HTTPTypes
import OpenAPIRuntime

/// One request, from its headers to libmicrohttpd's completed callback.
///
/// libmicrohttpd calls the access handler for a connection on one thread at a time; the
/// handler's task finishes on any thread. They meet under `state`'s lock: the access handler
/// starts the task and suspends the connection unless the answer is already there; the task
/// stores the answer and resumes the connection if it was suspended; the next access call
/// queues it. No MHD thread ever waits for a handler.
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

    /// Runs `work` in a task. Returns its reply if it is already there (queue it now); otherwise
    /// the connection is suspended and `nil` returned (a later access call gets the reply).
    func run(_ work: @escaping @Sendable () async -> Reply) -> Reply? {
        state.withLock { $0.phase = .running(nil) }
        let task = Task { self.complete(with: await work()) }
        return state.withLock { state in
            switch state.phase {
            case .ready(let reply):
                state.phase = .queued
                return reply
            case .running:
                state.phase = .running(task)
                state.suspended = true
                MHD_suspend_connection(connection)
                return nil
            case .reading, .queued:
                return nil
            }
        }
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

    /// On an access call: the reply waiting to be queued, if any.
    func takeReply() -> Reply? {
        state.withLock { state in
            state.awaitingCall = false
            guard case .ready(let reply) = state.phase else { return nil }
            state.phase = .queued
            return reply
        }
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

    /// For shutdown and for requests that are gone: cancels the handler and ends a streamed body.
    func cancel() {
        let (task, stream) = state.withLock { state -> (Task<Void, Never>?, ResponseStream?) in
            if case .running(let task) = state.phase { return (task, state.stream) }
            return (nil, state.stream)
        }
        task?.cancel()
        stream?.finish()
    }
}
