import Foundation

/// One HTTP/1.1 GET over a fresh loopback connection, timed from connect to the last byte.
///
/// Plain blocking sockets on a thread of their own: nothing between the clock and the wire.
enum HTTPProbe {
    struct Response: Sendable {
        var status: Int
        var bodyBytes: Int
        var seconds: Double
        /// The body itself (without chunked decoding: the management API sends Content-Length).
        var body: [UInt8] = []
    }

    static func get(port: Int, path: String, bearer: String?) async throws -> Response {
        try await onThread { try getBlocking(port: port, path: path, bearer: bearer) }
    }

    static func request(_ method: String, port: Int, path: String, bearer: String?, json: String? = nil) async throws -> Response {
        try await onThread { try requestBlocking(method, port: port, path: path, bearer: bearer, json: json) }
    }

    static func getBlocking(port: Int, path: String, bearer: String?) throws -> Response {
        try requestBlocking("GET", port: port, path: path, bearer: bearer)
    }

    static func requestBlocking(_ method: String, port: Int, path: String, bearer: String?, json: String? = nil) throws -> Response {
        let start = now()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchError("connect to 127.0.0.1:\(port): \(errno)") }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let bearer { request += "Authorization: Bearer \(bearer)\r\n" }
        if let json { request += "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n" }
        request += "\r\n" + (json ?? "")
        let bytes = Array(request.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw BenchError("send: \(errno)") }
            written += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 { throw BenchError("recv: \(errno)") }
            if n == 0 { break }
            response += chunk[0..<n]
        }
        let seconds = now() - start
        let text = String(decoding: response.prefix(64), as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let headerEnd = response.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound ?? response.count
        return Response(status: status, bodyBytes: response.count - headerEnd, seconds: seconds, body: Array(response[headerEnd...]))
    }
}
