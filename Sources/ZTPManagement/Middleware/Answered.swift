import HTTPTypes
import OpenAPIMicroHTTPD
import OpenAPIRuntime

/// Runs the rest of the chain and reports the status the client will get: the response's, or
/// for a thrown error the one `ProblemResponse` will answer with. For the observing middlewares.
func answered(
    _ request: HTTPRequest, _ body: HTTPBody?, _ metadata: ServerRequestMetadata,
    next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
    report: (_ status: Int) -> Void
) async throws -> (HTTPResponse, HTTPBody?) {
    do {
        let answer = try await next(request, body, metadata)
        report(answer.0.status.code)
        return answer
    } catch {
        report(ProblemResponse.status(for: error))
        throw error
    }
}
