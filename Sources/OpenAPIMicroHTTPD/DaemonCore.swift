import CMicroHTTPD
import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime

/// Everything libmicrohttpd's C callbacks need: handed over as a retained `Unmanaged` pointer
/// and released only after the daemon has stopped, so no callback outlives it.
///
/// `access` follows libmicrohttpd's calling pattern for one request: a first call with the
/// headers, which starts the handler; one call per upload chunk, each handed to the handler's
/// request body; a last call with no data, which ends the body and answers or suspends the
/// connection; and, when it was suspended, one more call after the resume, which answers.
final class DaemonCore: Sendable {
    let routes: RouteTable
    let configuration: MicroHTTPDTransport.Configuration
    let logger: Logger
    let observer: MicroHTTPDTransport.Observer?
    /// Requests between their first call and libmicrohttpd's completed callback.
    private let live = Locked<[ObjectIdentifier: Exchange]>([:])
    private let stopping = Locked(false)

    init(routes: RouteTable, configuration: MicroHTTPDTransport.Configuration, logger: Logger,
         observer: MicroHTTPDTransport.Observer?) {
        self.routes = routes
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
    }

    var openRequestCount: Int { live.withLock { $0.count } }

    func access(
        connection: MHDConnection,
        method: String,
        rawPath: String,
        upload: UnsafeRawBufferPointer,
        uploadSize: UnsafeMutablePointer<Int>,
        slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let existing = slot.pointee else {
            let exchange = Exchange(connection: connection.pointer, method: method, rawPath: rawPath,
                                    remoteAddress: connection.remoteAddress(), bodyLimit: configuration.bodyLimit)
            slot.pointee = Unmanaged.passRetained(exchange).toOpaque()
            live.withLock { $0[ObjectIdentifier(exchange)] = exchange }
            exchange.route = routeLabel(method: method, rawPath: rawPath)
            // RFC 9110 §15.5.14: refuse before reading, so an oversized body is never buffered.
            if let length = connection.header("Content-Length").flatMap(UInt64.init), length > configuration.bodyLimit {
                return refuse(.payloadTooLarge(limit: configuration.bodyLimit), exchange: exchange)
            }
            return start(exchange, connection: connection)
        }
        let exchange = Unmanaged<Exchange>.fromOpaque(existing).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            uploadSize.pointee = 0
            switch exchange.body.receive(upload) {
            case .keepReading:
                exchange.receiveBody(upload)
                return .YES
            case .rejectTooLarge:
                exchange.failBody(HTTPError.payloadTooLarge(limit: configuration.bodyLimit))
                exchange.cancel()
                // libmicrohttpd may refuse an answer mid-upload; then the last call answers.
                _ = refuse(.payloadTooLarge(limit: configuration.bodyLimit), exchange: exchange)
                return .YES
            case .closeConnection:
                return .NO
            }
        }
        // The upload is over (or there was none), or the connection was resumed with an answer.
        if exchange.body.isTooLarge {
            return refuse(.payloadTooLarge(limit: configuration.bodyLimit), exchange: exchange)
        }
        if let bytes = exchange.body.completeBody {
            exchange.body.markAnswered()
            exchange.endBody(bytes)
        }
        // Suspended under `stopping`'s lock, which `drain` takes to set it: a connection is never
        // left suspended behind `drain`'s back (libmicrohttpd aborts if stopped with one).
        let next: Exchange.Next? = stopping.withLock { isStopping in
            guard !isStopping || !exchange.isRunning else { return nil }
            return exchange.replyOrSuspend()
        }
        switch next {
        case nil:
            exchange.cancel()
            return refuse(.init(status: 503, detail: "the server is shutting down"), exchange: exchange)
        case .reply(let reply):
            return send(reply, exchange: exchange)
        case .suspended, .nothing:
            return .YES
        }
    }

    /// Frees a request's context; libmicrohttpd calls this for completed and aborted requests.
    func complete(slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        guard let pointer = slot.pointee else { return }
        let exchange = Unmanaged<Exchange>.fromOpaque(pointer)
        live.withLock { $0[ObjectIdentifier(exchange.takeUnretainedValue())] = nil }
        exchange.takeUnretainedValue().cancel()
        exchange.release()
        slot.pointee = nil
    }

    // MARK: Answering

    /// On the first call, with the headers: checks the target, finds the operation and starts
    /// its handler; a body arrives later, through the stream the handler reads.
    private func start(_ exchange: Exchange, connection: MHDConnection) -> MHD_Result {
        guard let path = RequestTarget.originPath(exchange.rawPath), let segments = RequestTarget.pathSegments(path) else {
            return refuse(.badRequest("the request path is not a valid percent-encoded absolute path"), exchange: exchange)
        }
        let rawQuery = connection.rawQueryArguments()
        guard rawQuery.allSatisfy({ RequestTarget.decode($0.name) != nil && RequestTarget.decode($0.value ?? "") != nil }) else {
            return refuse(.badRequest("the query string is not valid percent-encoded UTF-8"), exchange: exchange)
        }
        let route: RouteTable.Route
        let parameters: [String: Substring]
        switch routes.resolve(method: exchange.method, path: segments) {
        case .notFound:
            return refuse(.notFound("no resource matches the request path"), exchange: exchange)
        case let .methodNotAllowed(_, allowed):
            return refuse(.methodNotAllowed(allowed: allowed), exchange: exchange)
        case let .matched(matched, _):
            route = matched
            parameters = matched.pattern.encodedParameters(path.dropFirst().split(separator: "/", omittingEmptySubsequences: false))
        }
        guard let method = HTTPRequest.Method(exchange.method) else {
            return refuse(.badRequest("the request method is not a valid token"), exchange: exchange)
        }
        var fields = HTTPFields()
        for (name, value) in connection.headers() {
            guard let name = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: name, value: value))
        }
        let query = RequestTarget.query(rawQuery)
        let request = HTTPRequest(method: method, scheme: "http", authority: fields[HTTPField.Name("Host")!],
                                  path: String(path) + (query.isEmpty ? "" : "?" + query), headerFields: fields)
        let length = fields[.contentLength].flatMap { Int64($0) }
        let body = length != nil || fields[.transferEncoding] != nil
            ? exchange.makeBody(length: length.map { .known($0) } ?? .unknown) : nil
        let context = MicroHTTPDRequestContext(remoteAddress: exchange.remoteAddress, routeTemplate: route.pattern.template,
                                               started: exchange.started)
        let metadata = ServerRequestMetadata(pathParameters: parameters)
        let limits = (response: configuration.responseLimit, logger: logger)
        // Started under `stopping`'s lock, which `drain` takes to set it: a handler either
        // started before (and `drain` sees it running) or is refused here.
        let started = stopping.withLock { isStopping in
            guard !isStopping else { return false }
            exchange.start {
                await Self.produce(route: route, request: request, body: body, requestBytes: { exchange.completeBody },
                                   metadata: metadata, context: context, responseLimit: limits.response, logger: limits.logger)
            }
            return true
        }
        guard started else {
            return refuse(.init(status: 503, detail: "the server is shutting down"), exchange: exchange)
        }
        return .YES
    }

    /// Runs the handler and makes its answer sendable: a body of known length read whole (up
    /// to the limit), one of unknown length left to stream; errors as problems.
    /// `requestBytes` gives the whole request body once it has arrived, for error details.
    private static func produce(route: RouteTable.Route, request: HTTPRequest, body: HTTPBody?,
                                requestBytes: @escaping @Sendable () -> [UInt8]?,
                                metadata: ServerRequestMetadata, context: MicroHTTPDRequestContext,
                                responseLimit: Int, logger: Logger) async -> Exchange.Reply {
        do {
            let (response, responseBody) = try await MicroHTTPDRequestContext.$current.withValue(context) {
                try await route.handler(request, body, metadata)
            }
            guard let responseBody else { return .buffered(response, []) }
            if case .unknown = responseBody.length { return .streamed(response, responseBody) }
            return .buffered(response, try await [UInt8](collecting: responseBody, upTo: responseLimit))
        } catch {
            if let problem = ProblemResponse.clientError(for: error, requestBody: body == nil ? nil : requestBytes() ?? []) {
                // A 5xx that is no bug of ours (a database down) still deserves the operator's
                // eye; one a handler answers on purpose (`/readyz` while draining) does not.
                if problem.status >= 500, !ProblemResponse.isAnsweredOnPurpose(error) {
                    logger.warning("handler unavailable", metadata: [
                        "request": "\(request.method) \(context.routeTemplate)", "status": "\(problem.status)",
                        "error": "\(ProblemResponse.logDescription(of: error))"])
                }
                return problemReply(problem)
            }
            // A handler cancelled on purpose (body over the limit, client gone, shutdown) is no
            // failure of ours; nobody reads its answer either.
            let cancelled = Task.isCancelled
            logger.log(level: cancelled ? .debug : .error, cancelled ? "handler cancelled" : "handler failed",
                       metadata: ["request": "\(request.method) \(context.routeTemplate)",
                                  "error": "\(ProblemResponse.logDescription(of: error))"])
            return problemReply(.internal())
        }
    }

    static func problemReply(_ problem: HTTPError) -> Exchange.Reply {
        let (response, body) = ProblemResponse.response(for: problem)
        return .buffered(response, body)
    }

    private func send(_ reply: Exchange.Reply, exchange: Exchange) -> MHD_Result {
        let connection = MHDConnection(pointer: exchange.connection)
        switch reply {
        case let .buffered(response, body):
            return connection.queue(response, body: body)
        case let .streamed(response, body):
            let stream = ResponseStream(connection: exchange.connection, limit: configuration.streamBufferLimit)
            // As with handlers: a stream attached once `drain` has ended the others starts ended,
            // so its reader never suspends the connection after `drain` has looked.
            stopping.withLock { isStopping in
                exchange.attach(stream)
                if isStopping { stream.finish() }
            }
            stream.start(body)
            return connection.queue(response, stream: stream)
        }
    }

    /// Answers with a problem the transport itself decided on, observed for metrics.
    private func refuse(_ problem: HTTPError, exchange: Exchange) -> MHD_Result {
        let (response, body) = ProblemResponse.response(for: problem)
        let result = MHDConnection(pointer: exchange.connection).queue(response, body: body)
        if result == .YES {
            exchange.body.markAnswered()
            exchange.markQueued()
            // Still before libmicrohttpd sends anything: it writes once this callback returns.
            if let observer {
                observer(exchange.method, exchange.route, problem.status, exchange.started.duration(to: .now))
            }
        }
        return result
    }

    private func routeLabel(method: String, rawPath: String) -> String {
        guard let path = RequestTarget.originPath(rawPath), let segments = RequestTarget.pathSegments(path) else {
            return RouteTable.unmatched
        }
        switch routes.resolve(method: method, path: segments) {
        case let .matched(route, _): return route.pattern.template
        case let .methodNotAllowed(template, _): return template
        case .notFound: return RouteTable.unmatched
        }
    }

    // MARK: Shutdown

    /// Ends what is in flight so that libmicrohttpd can be stopped: new requests are refused,
    /// streamed bodies end, handlers get `grace` to finish and are then cancelled and answered
    /// 503. Returns false if some connection was still suspended when time ran out (stopping
    /// libmicrohttpd then would be undefined behaviour).
    func drain(grace: Duration) -> Bool {
        var exchanges: [Exchange] { live.withLock { Array($0.values) } }
        let streaming = stopping.withLock { isStopping in
            isStopping = true
            return exchanges
        }
        for exchange in streaming { exchange.finishStream() }
        let deadline = ContinuousClock.now + grace
        while exchanges.contains(where: \.isRunning), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        for exchange in exchanges where exchange.isRunning {
            exchange.cancel()
            exchange.complete(with: Self.problemReply(.init(status: 503, detail: "the server is shutting down")))
        }
        let parkedDeadline = ContinuousClock.now + .seconds(2)
        while exchanges.contains(where: \.isAwaitingCall) {
            guard ContinuousClock.now < parkedDeadline else { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        // An answer queued by the last access call goes out on the daemon's next pass over the
        // connection; stopping before would drop it (a 200 lost, a chunked body cut before its
        // last chunk). Wait for requests to complete, within what is left of the grace period
        // and at least a moment (a client that does not read keeps its request open).
        let sentDeadline = max(deadline, ContinuousClock.now + .milliseconds(250))
        while !live.withLock(\.isEmpty), ContinuousClock.now < sentDeadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }
}
