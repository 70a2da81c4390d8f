import HTTPTypes
import Metrics
import OpenAPIMicroHTTPD
import OpenAPIRuntime
import Synchronization

/// Counts every request and its duration by route template, method and status
/// (`ztp_http_requests_total`, `ztp_http_request_duration_seconds`). The transport reports the
/// requests it answers by itself (no route, 405, 413) through `record` too.
struct RequestMetricsMiddleware: ServerMiddleware {
    /// Requests answered since start, for the per-second history (`/v1/stats`).
    let total: HTTPRequestTotal

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let context = MicroHTTPDRequestContext.current
        let route = context?.routeTemplate ?? operationID
        let started = context?.started ?? .now
        return try await answered(request, body, metadata, next: next) { status in
            total.record(method: request.method.rawValue, route: route, status: status, elapsed: started.duration(to: .now))
        }
    }
}

/// The count of HTTP requests answered, and the one place they are recorded in the metrics.
final class HTTPRequestTotal: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .relaxed) }

    func record(method: String, route: String, status: Int, elapsed: Duration) {
        count.add(1, ordering: .relaxed)
        let dimensions = [("route", route), ("method", method)]
        Counter(label: "ztp_http_requests_total", dimensions: dimensions + [("status", "\(status)")]).increment()
        Timer(label: "ztp_http_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
            .record(duration: elapsed)
    }
}
