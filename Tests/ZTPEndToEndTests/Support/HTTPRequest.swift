import ZTPTestSupport

/// A minimal HTTP/1.1 exchange over a raw connection (`Connection: close`), for the
/// management API's `/metrics` and token revocation.
struct HTTPExchange {
    var status: Int
    var body: String
    /// The status line and header fields, as received.
    var head = ""

    static func send(_ method: String, _ path: String, port: Int, bearer: String? = nil, json: String? = nil) async throws -> HTTPExchange {
        let connection = try await RawConnection.connect(port: port)
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let bearer { request += "Authorization: Bearer \(bearer)\r\n" }
        if json != nil { request += "Content-Type: application/json\r\n" }
        request += "Content-Length: \((json ?? "").utf8.count)\r\n\r\n" + (json ?? "")
        try await connection.send(Array(request.utf8))
        guard await connection.waitForClose(within: TestTime.scaled(.seconds(10))) else {
            await connection.close()
            throw E2EFailure("\(method) \(path): the server did not finish its answer within 10 s")
        }
        let response = String(decoding: connection.take(), as: UTF8.self)
        guard let split = response.range(of: "\r\n\r\n") else { throw E2EFailure("\(method) \(path): no HTTP header end") }
        let head = response[..<split.lowerBound]
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let fields = statusLine.split(separator: " ")
        guard fields.count >= 2, let status = Int(fields[1]) else { throw E2EFailure("\(method) \(path): bad status line '\(statusLine)'") }
        var body = String(response[split.upperBound...])
        if head.lowercased().contains("transfer-encoding: chunked") { body = dechunk(body) }
        return HTTPExchange(status: status, body: body, head: String(head))
    }

    private static func dechunk(_ text: String) -> String {
        var rest = Substring(text)
        var out = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let bytes = Array(rest[start...].utf8)
            out += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        return out
    }
}
