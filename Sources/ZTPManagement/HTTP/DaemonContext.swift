import CMicroHTTPD
import Logging
import Synchronization

/// Everything the daemon's C callbacks need, handed to libmicrohttpd as a retained `Unmanaged`
/// pointer and released only after the daemon has stopped, so no callback outlives it.
///
/// `access` follows libmicrohttpd's calling pattern for one request: a first call with the
/// headers, then one call per upload chunk, then a last call with no data, which answers.
final class DaemonContext: Sendable {
    let handler: HTTPDaemon.Handler
    let observer: HTTPDaemon.Observer?
    let routeLabel: @Sendable (HTTPRequest) -> String
    let bodyLimit: Int
    let logger: Logger
    /// Requests whose context is allocated and not yet freed by the completed callback.
    let openRequests = Atomic<Int>(0)

    init(
        handler: @escaping HTTPDaemon.Handler,
        observer: HTTPDaemon.Observer?,
        routeLabel: @escaping @Sendable (HTTPRequest) -> String,
        bodyLimit: Int,
        logger: Logger
    ) {
        self.handler = handler
        self.observer = observer
        self.routeLabel = routeLabel
        self.bodyLimit = bodyLimit
        self.logger = logger
    }

    func access(
        connection: MHDConnection,
        method: String,
        rawPath: String,
        upload: UnsafeRawBufferPointer,
        uploadSize: UnsafeMutablePointer<Int>,
        slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let existing = slot.pointee else {
            let body = RequestBody(limit: bodyLimit)
            slot.pointee = Unmanaged.passRetained(body).toOpaque()
            openRequests.add(1, ordering: .relaxed)
            // RFC 9110 §15.5.14: refuse before reading, so an oversized body is never buffered.
            if let length = connection.header("Content-Length").flatMap(UInt64.init), length > bodyLimit {
                return rejectTooLarge(connection: connection, method: method, rawPath: rawPath, body: body)
            }
            return .YES
        }
        let body = Unmanaged<RequestBody>.fromOpaque(existing).takeUnretainedValue()
        if uploadSize.pointee > 0 {
            uploadSize.pointee = 0
            switch body.receive(upload) {
            case .keepReading:
                return .YES
            case .rejectTooLarge:
                // libmicrohttpd may refuse an answer mid-upload; then the last call answers.
                _ = rejectTooLarge(connection: connection, method: method, rawPath: rawPath, body: body)
                return .YES
            case .closeConnection:
                return .NO
            }
        }
        if body.isTooLarge {
            return rejectTooLarge(connection: connection, method: method, rawPath: rawPath, body: body)
        }
        guard let bytes = body.completeBody else { return .YES }
        body.markAnswered()
        return answer(connection: connection, method: method, rawPath: rawPath, bytes: bytes, started: body.started)
    }

    /// Frees a request's context; libmicrohttpd calls this for completed and aborted requests.
    func complete(slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        guard let body = slot.pointee else { return }
        Unmanaged<RequestBody>.fromOpaque(body).release()
        slot.pointee = nil
        openRequests.subtract(1, ordering: .relaxed)
    }

    private func answer(
        connection: MHDConnection,
        method: String,
        rawPath: String,
        bytes: [UInt8],
        started: ContinuousClock.Instant
    ) -> MHD_Result {
        let response: HTTPResponse
        let route: String
        do throws(HTTPError) {
            let request = try makeRequest(connection: connection, method: method, rawPath: rawPath, body: bytes)
            do {
                response = try handler(request)
            } catch {
                response = HTTPResponse(error: error, logger: logger, context: "\(method) \(request.path)")
            }
            route = response.route ?? routeLabel(request)
        } catch {
            response = .problem(error)
            route = Router.unmatched
        }
        return send(response, connection: connection, method: method, route: route, started: started)
    }

    private func rejectTooLarge(
        connection: MHDConnection,
        method: String,
        rawPath: String,
        body: RequestBody
    ) -> MHD_Result {
        let request = try? makeRequest(connection: connection, method: method, rawPath: rawPath, body: [])
        let route = request.map(routeLabel) ?? Router.unmatched
        let response = HTTPResponse.problem(.payloadTooLarge(limit: bodyLimit))
        let result = connection.queue(response)
        if result == .YES {
            body.markAnswered()
            // Still before libmicrohttpd sends anything: it writes once this callback returns.
            observe(method: method, route: route, status: response.status, started: body.started)
        }
        return result
    }

    private func send(
        _ response: HTTPResponse,
        connection: MHDConnection,
        method: String,
        route: String,
        started: ContinuousClock.Instant
    ) -> MHD_Result {
        // Observed before queueing, so a client that has seen the response can rely on the metric.
        observe(method: method, route: route, status: response.status, started: started)
        return connection.queue(response)
    }

    private func observe(method: String, route: String, status: Int, started: ContinuousClock.Instant) {
        guard let observer else { return }
        let elapsed = started.duration(to: .now).components
        observer(method, route, status, Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18)
    }

    private func makeRequest(
        connection: MHDConnection,
        method: String,
        rawPath: String,
        body: [UInt8]
    ) throws(HTTPError) -> HTTPRequest {
        try HTTPRequest(
            method: method,
            rawPath: rawPath,
            rawQuery: connection.rawQueryArguments(),
            rawHeaders: connection.headers(),
            body: body,
            remoteAddress: connection.remoteAddress()
        )
    }
}
