import Glibc
import Foundation
@testable import ZTPManagement
import OpenAPIMicroHTTPD

/// A blocking loopback HTTP/1.1 client on raw POSIX sockets, so tests control every byte sent
/// (oversized or malformed requests) and see exactly what the server answers.
final class HTTPTestConnection {
    /// A socket call failed.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let socketFD: Int32

    init(port: Int, host: String = "127.0.0.1") throws {
        let isIPv6 = host.contains(":")
        socketFD = socket(isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
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
    func write(_ bytes: [UInt8]) -> Bool {
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
    func write(_ text: String) -> Bool {
        write(Array(text.utf8))
    }

    /// Everything the server sends until it closes the connection (or a reset, or the timeout).
    func receiveUntilClosed() -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return received }
            received += buffer[..<count]
        }
    }

    /// Sends one request with `Connection: close` and parses the answer.
    static func request(
        _ method: String,
        _ target: String,
        port: Int,
        host: String = "127.0.0.1",
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) throws -> HTTPTestResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        for (name, value) in headers {
            head += "\(name): \(value)\r\n"
        }
        if !body.isEmpty {
            head += "Content-Length: \(body.count)\r\n"
        }
        let connection = try HTTPTestConnection(port: port, host: host)
        connection.write(Array((head + "\r\n").utf8) + body)
        return try HTTPTestResponse(parsing: connection.receiveUntilClosed())
    }
}

/// A parsed HTTP/1.1 response; header names lowercased.
struct HTTPTestResponse {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]

    init(parsing bytes: [UInt8]) throws {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: separator) }) else {
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

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as problem details, if it decodes as one.
    var problem: ProblemDetails? {
        try? JSONDecoder().decode(ProblemDetails.self, from: Data(body))
    }
}
