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
            return .badRequest(parameterDetail(error, request: nil, pathParameters: [:]))
        case let error as any HTTPErrorConvertible:
            return error.httpError
        case let error as ServerError:
            if requestBody == nil, let decoding = error.underlyingError as? DecodingError {
                return .badRequest(parameterDetail(decoding, request: error.request,
                                                   pathParameters: error.requestMetadata.pathParameters))
            }
            if let inner = clientError(for: error.underlyingError, requestBody: requestBody) { return inner }
            guard error.httpStatus.kind == .clientError else { return nil }
            return HTTPError(status: error.httpStatus.code, detail: error.causeDescription)
        default:
            return nil
        }
    }

    /// A detail naming the parameter that did not decode. The generated code's decoder does not
    /// put the parameter's name in the error, so it is found from what the error says: the type
    /// it expected (the first value that does not parse as it) or the value it refused.
    static func parameterDetail(_ error: DecodingError, request: HTTPRequest?,
                                pathParameters: [String: Substring]) -> String {
        // Query items first, then path parameters from the end of the path: of this API's
        // parameters, only those are typed (ids earlier in the path are strings, which never fail).
        let path = request?.path ?? ""
        let fromEnd = pathParameters.sorted { (path.range(of: $0.value)?.lowerBound ?? path.startIndex) > (path.range(of: $1.value)?.lowerBound ?? path.startIndex) }
        let candidates = queryItems(of: request).map { (kind: "query", name: $0.name, value: $0.value) }
            + fromEnd.map { (kind: "path", name: $0.key, value: String($0.value)) }
        switch error {
        case let .typeMismatch(type, _):
            let (accepts, noun): ((String) -> Bool, String) = switch type {
            case is Int.Type, is Int32.Type, is Int64.Type: ({ Int($0) != nil }, "an integer")
            case is Double.Type, is Float.Type: ({ Double($0) != nil }, "a number")
            case is Bool.Type: ({ $0 == "true" || $0 == "false" }, "true or false")
            default: ({ _ in true }, "")
            }
            // Several values that do not parse (a string parameter among them) leave the
            // culprit open: name them all rather than guess.
            let suspects = candidates.filter { !accepts($0.value) }
            if suspects.count == 1, let culprit = suspects.first {
                return "\(culprit.kind) parameter '\(culprit.name)' must be \(noun)"
            }
            if !suspects.isEmpty {
                return "one of the parameters " + suspects.map { "'\($0.name)'" }.joined(separator: ", ") + " must be \(noun)"
            }
        case let .dataCorrupted(context):
            if let range = context.debugDescription.range(of: "invalid String value ") {
                let value = String(context.debugDescription[range.upperBound...])
                if let culprit = candidates.first(where: { $0.value == value }) {
                    return "\(culprit.kind) parameter '\(culprit.name)' does not allow the value '\(value)' (see /openapi.yaml)"
                }
            }
        default:
            break
        }
        return "a query or path parameter has a value of the wrong type or outside its allowed values (see /openapi.yaml)"
    }

    /// The decoded query items of `request`, in order.
    private static func queryItems(of request: HTTPRequest?) -> [(name: String, value: String)] {
        guard let path = request?.path, let mark = path.firstIndex(of: "?") else { return [] }
        return path[path.index(after: mark)...].split(separator: "&").compactMap { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = RequestTarget.decode(parts[0]) else { return nil }
            let value = parts.count > 1 ? RequestTarget.decode(parts[1].replacingOccurrences(of: "+", with: " ")) : ""
            return value.map { (name, $0) }
        }
    }

    /// True when `error` is an `HTTPError` a handler (or the transport) threw: an answer it
    /// chose, not a failure it met.
    public static func isAnsweredOnPurpose(_ error: any Error) -> Bool {
        if let error = error as? ServerError { return isAnsweredOnPurpose(error.underlyingError) }
        return error is HTTPError
    }

    /// `error` for a log line. Never a `ServerError`'s own description: it prints the request's
    /// headers, the admin key among them.
    public static func logDescription(of error: any Error) -> String {
        guard let error = error as? ServerError else { return "\(error)" }
        return "operation \(error.operationID): \(error.causeDescription): \(logDescription(of: error.underlyingError))"
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
