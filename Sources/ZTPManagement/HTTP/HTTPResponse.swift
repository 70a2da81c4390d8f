/// A complete HTTP response: status, headers and the whole body.
///
/// The daemon adds `Content-Length` itself and omits the body of a HEAD response, so handlers
/// build the same response for GET and HEAD. `route` is the matched route template, set by
/// `Router`, and only labels metrics.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    /// The route template that produced this response (e.g. `/v1/sessions/{id}`), or nil when no
    /// router was involved; never sent to the client.
    var route: String?

    public init(status: Int = 200, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.key.lowercased() == wanted }?.value
    }

    /// `value` as JSON (sorted keys, RFC 3339 UTC dates); a value that fails to encode becomes a
    /// 500 problem, since that is a bug on our side rather than the client's.
    public static func json(_ value: some Encodable, status: Int = 200) -> HTTPResponse {
        do {
            let data = try HTTPJSON.encoder().encode(value)
            return HTTPResponse(
                status: status,
                headers: ["Content-Type": "application/json"],
                body: Array(data)
            )
        } catch {
            return .problem(.internal("the response could not be encoded"))
        }
    }

    public static func text(
        _ text: String,
        contentType: String = "text/plain; charset=utf-8",
        status: Int = 200
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    public static var noContent: HTTPResponse { HTTPResponse(status: 204) }

    /// `error` as an RFC 9457 `application/problem+json` response, with its extra headers.
    public static func problem(_ error: HTTPError) -> HTTPResponse {
        let problem = ProblemDetails(title: error.title, status: error.status, detail: error.detail)
        // Four plain members cannot fail to encode; the fallback only keeps this non-throwing.
        let body = (try? HTTPJSON.encoder().encode(problem)).map(Array.init) ?? []
        var headers = error.headers
        headers["Content-Type"] = ProblemDetails.mediaType
        return HTTPResponse(status: error.status, headers: headers, body: body)
    }
}
