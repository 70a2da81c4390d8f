/// An error of another layer that has a meaning for HTTP clients (e.g. a database that cannot
/// be reached is a 503, not a 500); nil serves it as a 500.
public protocol HTTPErrorConvertible: Error {
    var httpError: HTTPError? { get }
}

/// An HTTP error a handler throws; the HTTP layer serves it as an RFC 9457 problem details body.
///
/// The status picks the `title` (its reason phrase); `detail` is meant for the client, so it must
/// never carry internal error text. Extra headers ride along, e.g. `WWW-Authenticate` on a 401
/// or `Allow` on a 405.
public struct HTTPError: Error, Sendable, Equatable {
    /// The HTTP status code, 4xx or 5xx.
    public var status: Int
    /// A human-readable explanation specific to this occurrence (RFC 9457 §3.1.4).
    public var detail: String
    /// Headers added to the problem response.
    public var headers: [String: String]

    public init(status: Int, detail: String, headers: [String: String] = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    /// The problem `title`: the status's reason phrase.
    public var title: String { HTTPStatus.reasonPhrase(status) }

    public static func badRequest(_ detail: String) -> HTTPError {
        HTTPError(status: 400, detail: detail)
    }

    /// RFC 6750 §3: a 401 for a bearer-token API carries `WWW-Authenticate: Bearer`.
    public static func unauthorized(_ detail: String) -> HTTPError {
        HTTPError(status: 401, detail: detail, headers: ["WWW-Authenticate": "Bearer"])
    }

    public static func notFound(_ detail: String) -> HTTPError {
        HTTPError(status: 404, detail: detail)
    }

    /// RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405".
    public static func methodNotAllowed(allowed: [String]) -> HTTPError {
        let list = allowed.joined(separator: ", ")
        return HTTPError(
            status: 405,
            detail: "method not allowed; allowed methods: \(list)",
            headers: ["Allow": list]
        )
    }

    public static func conflict(_ detail: String) -> HTTPError {
        HTTPError(status: 409, detail: detail)
    }

    public static var payloadTooLarge: HTTPError {
        HTTPError(status: 413, detail: "request body is too large")
    }

    public static func payloadTooLarge(limit: Int) -> HTTPError {
        HTTPError(status: 413, detail: "request body is larger than \(limit) bytes")
    }

    public static func unsupportedMediaType(_ detail: String) -> HTTPError {
        HTTPError(status: 415, detail: detail)
    }

    public static func `internal`(_ detail: String = "internal server error") -> HTTPError {
        HTTPError(status: 500, detail: detail)
    }
}
