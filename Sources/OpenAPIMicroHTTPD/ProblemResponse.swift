import Foundation
import HTTPTypes
import OpenAPIRuntime

/// The one place errors become responses: RFC 9457 problem details (`application/problem+json`).
///
/// A handler's error reaches the transport wrapped by the generated server (`ServerError`);
/// the transport's own refusals (404, 405, 413, a malformed target) come here too. An
/// `HTTPError` is served as it is; a request the generated code could not decode is a 400 that
/// names the field; anything else is a 500 whose detail stays generic, because error text can
/// hold internals (paths, SQL).
public enum ProblemResponse {
    /// The problem for `error`, or nil when it is a failure of ours (served as a 500).
    /// `requestBody` is the request's body if it had one: a decoding error is then the body's,
    /// else a parameter's.
    public static func clientError(for error: any Error, requestBody: [UInt8]? = nil) -> HTTPError? {
        switch error {
        case let error as HTTPError:
            return error
        case let error as DecodingError:
            if let requestBody {
                return .badRequest(JSONDecodingProblem.detail(for: error, body: requestBody))
            }
            return .badRequest(parameterDetail(error))
        case let error as ServerError:
            if let inner = clientError(for: error.underlyingError, requestBody: requestBody) { return inner }
            guard error.httpStatus.kind == .clientError else { return nil }
            return HTTPError(status: error.httpStatus.code, detail: error.causeDescription)
        default:
            return nil
        }
    }

    private static func parameterDetail(_ error: DecodingError) -> String {
        let context: DecodingError.Context? = switch error {
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .dataCorrupted(context): context
        case let .keyNotFound(_, context): context
        @unknown default: nil
        }
        let path = context.map { JSONDecodingProblem.fieldPath($0.codingPath) } ?? ""
        if !path.isEmpty { return "parameter '\(path)' has an invalid value" }
        return "a query or path parameter has a value of the wrong type or outside its allowed values (see /openapi.yaml)"
    }

    /// The status code `error` is answered with.
    public static func status(for error: any Error) -> Int {
        clientError(for: error)?.status ?? 500
    }

    /// `error` as a response head and body.
    public static func response(for error: HTTPError) -> (HTTPResponse, [UInt8]) {
        let problem = ProblemDetails(title: error.title, status: error.status, detail: error.detail)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(problem)).map(Array.init) ?? []
        var response = HTTPResponse(status: .init(code: error.status))
        response.headerFields[.contentType] = ProblemDetails.mediaType
        for (name, value) in error.headers.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name(name) { response.headerFields[name] = value }
        }
        return (response, body)
    }
}
