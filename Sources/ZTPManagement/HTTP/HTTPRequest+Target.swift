extension HTTPRequest {
    /// A request from what the daemon hands over: the undecoded request target path, the query
    /// arguments split but still percent-encoded, and the header fields in arrival order.
    /// Throws 400 when the path or a query argument is not valid percent-encoded UTF-8.
    init(
        method: String,
        rawPath: String,
        rawQuery: [(name: String, value: String?)],
        rawHeaders: [(name: String, value: String)],
        body: [UInt8],
        remoteAddress: String
    ) throws(HTTPError) {
        guard let path = RequestTarget.originPath(rawPath), let segments = RequestTarget.pathSegments(path) else {
            throw .badRequest("the request path is not a valid percent-encoded absolute path")
        }
        var query: [String: String] = [:]
        for (rawName, rawValue) in rawQuery {
            guard let name = RequestTarget.decode(rawName),
                  let value = RequestTarget.decode(rawValue ?? "")
            else {
                throw .badRequest("the query string is not valid percent-encoded UTF-8")
            }
            if query[name] == nil {
                query[name] = value
            }
        }
        var headers: [String: String] = [:]
        for (name, value) in rawHeaders {
            let key = name.lowercased()
            headers[key] = headers[key].map { "\($0), \(value)" } ?? value
        }
        self.init(
            method: method,
            pathSegments: segments,
            query: query,
            headers: headers,
            body: body,
            remoteAddress: remoteAddress
        )
    }
}
