import HTTPTypes
import Logging
import OpenAPIMicroHTTPD
import OpenAPIRuntime

/// One log line per request: changes and failures at `info`, successful reads at `debug` (the
/// dashboard polls several times a second). Never the headers, so never the admin key.
struct AccessLogMiddleware: ServerMiddleware {
    let logger: Logger

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let context = MicroHTTPDRequestContext.current
        let started = context?.started ?? .now
        return try await answered(request, body, metadata, next: next) { status in
            log(request, operationID: operationID, status: status, started: started, remote: context?.remoteAddress)
        }
    }

    private func log(_ request: HTTPRequest, operationID: String, status: Int, started: ContinuousClock.Instant, remote: String?) {
        let isRead = request.method == .get || request.method == .head
        logger.log(level: isRead && status < 400 ? .debug : .info, "http request", metadata: [
            "method": "\(request.method.rawValue)", "path": "\(request.path ?? "")", "operation": "\(operationID)",
            "status": "\(status)", "remote": "\(remote ?? "")",
            "ms": "\(started.duration(to: .now) / .milliseconds(1))",
        ])
    }
}
