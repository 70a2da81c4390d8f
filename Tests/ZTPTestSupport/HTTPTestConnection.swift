import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking loopback HTTP/1.1 client on raw POSIX sockets, so tests control every byte sent
/// (oversized or malformed requests) and see exactly what the server answers, when it answers.
///
/// Its calls block: from async tests, run them off the cooperative thread pool, or a test
/// waiting on a socket can starve the server-side tasks it waits for.
public final class HTTPTestConnection: @unchecked Sendable {
    /// A socket call failed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    private let socketFD: Int32

    /// Connects to `host` (an IPv4 or IPv6 literal). `receiveBuffer` sets SO_RCVBUF before
    /// connecting, to keep what the kernel buffers for a client that does not read small.
    public init(port: Int, host: String = "127.0.0.1", timeoutSeconds: Int = 10, receiveBuffer: Int? = nil) throws {
        let isIPv6 = host.contains(":")
        socketFD = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(socketFD, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let status: Int32
        if isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            inet_pton(AF_INET6, host, &address.sin6_addr)
            status = Self.connect(socketFD, &address)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            status = Self.connect(socketFD, &address)
        }
        // No close here: a class whose stored properties are all set runs `deinit` when its
        // init throws, and closing twice would close whatever descriptor another thread got
        // in between (seen as EBADF in NIO and posix_spawn).
        guard status == 0 else { throw Failure(description: "connect: errno \(errno)") }
    }

    private static func connect<Address>(_ socketFD: Int32, _ address: inout Address) -> Int32 {
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
    }

    deinit {
        if socketFD >= 0 { close(socketFD) }
    }

    /// Sends all of `bytes`; false once the peer has closed or reset the connection.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                send(socketFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    @discardableResult
    public func write(_ text: String) -> Bool {
        write(Array(text.utf8))
    }

    /// What one `recv` returns: empty once the peer has closed (or on reset or the timeout).
    public func receiveSome(max: Int = 65536) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        let count = buffer.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[..<count]) : []
    }

    /// Reads until what has arrived (`received` included) contains `marker`; nil if the
    /// connection ends or times out first. Reads no further than the `recv` that brought it.
    public func receive(until marker: String, after received: [UInt8] = []) -> [UInt8]? {
        var received = received
        let pattern = Array(marker.utf8)
        while !received.contains(pattern) {
            let more = receiveSome()
            guard !more.isEmpty else { return nil }
            received += more
        }
        return received
    }

    /// Everything the server sends until it closes the connection (or a reset, or the timeout).
    public func receiveUntilClosed() -> [UInt8] {
        var received: [UInt8] = []
        while true {
            let more = receiveSome()
            guard !more.isEmpty else { return received }
            received += more
        }
    }

    /// Sends one request with `Connection: close` and parses the answer.
    public static func request(
        _ method: String,
        _ target: String,
        port: Int,
        host: String = "127.0.0.1",
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) throws -> HTTPTestResponse {
        let connection = try HTTPTestConnection(port: port, host: host)
        connection.write(requestHead(method, target, headers: headers, bodyLength: body.count) + body)
        return try HTTPTestResponse(parsing: connection.receiveUntilClosed())
    }

    /// A request head with `Host` and `Connection: close` (unless `headers` says otherwise)
    /// and a `Content-Length` for a non-empty body.
    public static func requestHead(_ method: String, _ target: String, headers: [String: String] = [:],
                                   bodyLength: Int = 0) -> [UInt8] {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        if !headers.keys.contains(where: { $0.lowercased() == "connection" }) {
            head += "Connection: close\r\n"
        }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            head += "\(name): \(value)\r\n"
        }
        if bodyLength > 0 {
            head += "Content-Length: \(bodyLength)\r\n"
        }
        return Array((head + "\r\n").utf8)
    }
}

/// A parsed HTTP/1.1 response; header names lowercased. A chunked body is kept as sent.
public struct HTTPTestResponse: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]

    public init(parsing bytes: [UInt8]) throws {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = bytes.firstRange(of: separator)?.lowerBound else {
            throw HTTPTestConnection.Failure(description: "no complete response head in \(bytes.count) bytes")
        }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw HTTPTestConnection.Failure(description: "bad status line \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[line[..<colon].lowercased()] = value
        }
        self.status = status
        self.headers = headers
        self.body = Array(bytes[(end + separator.count)...])
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded as JSON into `type`, if it decodes.
    public func json<T: Decodable>(_ type: T.Type) -> T? {
        try? JSONDecoder().decode(type, from: Data(body))
    }
}
