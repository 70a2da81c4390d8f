import HTTPTypes
import Metrics
import OpenAPIMicroHTTPD
import OpenAPIRuntime

/// `/v1/*` needs `Authorization: Bearer ADMIN_KEY`, compared in constant time; the health
/// routes and the dashboard's files need none (their operations say `security: []`).
struct AdminKeyMiddleware: ServerMiddleware {
    let adminKey: AdminKey

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if request.path?.hasPrefix("/v1/") == true, !adminKey.authorizes(request.headerFields[.authorization]) {
            Counter(label: "ztp_http_auth_failures_total").increment()
            throw HTTPError.unauthorized("a valid admin key is required: Authorization: Bearer ADMIN_KEY")
        }
        return try await next(request, body, metadata)
    }
}
