import Foundation
import HTTPTypes
import OpenAPIMicroHTTPD
import OpenAPIRuntime

/// Every request body this API takes (POST, PUT, PATCH) is JSON: one with another
/// `Content-Type` is a 415 before any decoding (the generated code would read it as JSON anyway). RFC 9110 §8.3.1: the
/// media type is case-insensitive and may carry parameters such as `charset`.
struct JSONBodyMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if [.post, .put, .patch].contains(request.method), let body, body.length != .known(0),
           !Self.isJSON(request.headerFields[.contentType] ?? "") {
            throw HTTPError.unsupportedMediaType("Content-Type must be application/json")
        }
        return try await next(request, body, metadata)
    }

    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }
}
