/// A complete HTTP request as handlers see it: the body is fully read and bounded by the daemon.
///
/// `path` and `query` are percent-decoded; `headers` have lowercased names, with repeated fields
/// joined by ", " (RFC 9110 §5.3). `pathParameters` is filled in by `Router` from the route
/// template's `{name}` segments.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The decoded path, without the query.
    public var path: String
    /// Decoded query parameters; of repeated names the first wins.
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]
    /// The peer's IP address, e.g. "127.0.0.1" or "::1"; empty when unknown.
    public var remoteAddress: String
    public var pathParameters: [String: String] = [:]
    /// The path split on "/" before decoding, so an encoded "/" stays inside its segment.
    var pathSegments: [String]

    /// A request for a decoded `path` (as tests and in-process callers have it).
    public init(
        method: String,
        path: String,
        query: [String: String] = [:],
        headers: [String: String] = [:],
        body: [UInt8] = [],
        remoteAddress: String = ""
    ) {
        self.init(
            method: method,
            pathSegments: path.split(separator: "/", omittingEmptySubsequences: false)
                .dropFirst().map(String.init),
            query: query,
            headers: headers,
            body: body,
            remoteAddress: remoteAddress
        )
        self.path = path
    }

    init(
        method: String,
        pathSegments: [String],
        query: [String: String],
        headers: [String: String],
        body: [UInt8],
        remoteAddress: String
    ) {
        self.method = method
        self.path = "/" + pathSegments.joined(separator: "/")
        self.pathSegments = pathSegments
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }) { first, next in
            "\(first), \(next)"
        }
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers[name.lowercased()]
    }
}
