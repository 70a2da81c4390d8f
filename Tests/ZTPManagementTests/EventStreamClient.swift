import Foundation
import Glibc
import ZTPTestSupport

/// A `GET /v1/events` subscriber on a raw socket: sends the request, then decodes the chunked
/// body and the server-sent events in it as they arrive, so tests see exactly what a browser's
/// EventSource would. Its reads block, so each runs on a thread of its own (`offPool`); one
/// test uses a client at a time.
final class EventStreamClient: @unchecked Sendable {
    /// One server-sent event; `data` parsed as JSON.
    struct Event: Sendable {
        let id: String?
        let type: String
        let data: ManagementAPIJSON
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private(set) var status = 0
    private let socketFD: Int32
    private var raw: [UInt8] = []
    private var body: [UInt8] = []
    private var ended = false
    /// Comment lines seen (heartbeats).
    private(set) var comments = 0

    /// Connects, sends the request and reads the response head.
    static func connect(port: Int, key: String, lastEventID: String? = nil) async throws -> EventStreamClient {
        try await offPool { try EventStreamClient(port: port, key: key, lastEventID: lastEventID) }
    }

    private init(port: Int, key: String, lastEventID: String? = nil) throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        self.socketFD = socketFD
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect: errno \(errno)") }
        var request = "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\nAccept: text/event-stream\r\n"
        if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
        request += "\r\n"
        _ = request.utf8CString.withUnsafeBytes { send(socketFD, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
        // The head.
        let deadline = Date().addingTimeInterval(10)
        while raw.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
            guard Date() < deadline, receive() else { throw Failure(description: "no response head") }
        }
        let headEnd = raw.firstRange(of: Array("\r\n\r\n".utf8))!
        let head = String(decoding: raw[..<headEnd.lowerBound], as: UTF8.self)
        raw.removeSubrange(..<headEnd.upperBound)
        status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        headers = head.split(separator: "\r\n").dropFirst().reduce(into: [:]) { headers, line in
            guard let colon = line.firstIndex(of: ":") else { return }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }

    private(set) var headers: [String: String] = [:]

    deinit {
        close(socketFD)
    }

    /// The next event within `seconds`, or nil if none came (or the stream ended).
    func next(within seconds: Double = 5) async -> Event? {
        await offPool { self.nextBlocking(within: seconds) }
    }

    /// Events until one matches, within `seconds`; nil if none did.
    func next(within seconds: Double = 5, where matches: @escaping @Sendable (Event) -> Bool) async -> Event? {
        await offPool { self.nextBlocking(within: seconds, where: matches) }
    }

    /// True once the server ended the body (or closed the connection).
    func hasEnded(within seconds: Double = 5) async -> Bool {
        await offPool { self.hasEndedBlocking(within: seconds) }
    }

    private func nextBlocking(within seconds: Double) -> Event? {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            if let event = takeEvent() { return event }
            if ended || Date() >= deadline { return nil }
            if !receive() { ended = true }
        }
    }

    private func nextBlocking(within seconds: Double, where matches: (Event) -> Bool) -> Event? {
        let deadline = Date().addingTimeInterval(seconds)
        while let event = nextBlocking(within: max(0, deadline.timeIntervalSinceNow)) {
            if matches(event) { return event }
        }
        return nil
    }

    private func hasEndedBlocking(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !ended, Date() < deadline {
            if !receive() { ended = true }
            decodeChunks()
        }
        return ended
    }

    /// Reads what is there; false when the peer closed. A timeout is not an end.
    private func receive() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        let count = recv(socketFD, &buffer, buffer.count, 0)
        if count > 0 {
            raw += buffer[..<count]
            return true
        }
        return count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
    }

    /// Moves whole chunks from `raw` to `body` (RFC 9112 §7.1); the last chunk ends the stream.
    private func decodeChunks() {
        while let lineEnd = raw.firstRange(of: Array("\r\n".utf8)) {
            let sizeText = String(decoding: raw[..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText, radix: 16) else { return }
            if size == 0 {
                ended = true
                return
            }
            guard raw.count >= lineEnd.upperBound + size + 2 else { return }
            body += raw[lineEnd.upperBound..<lineEnd.upperBound + size]
            raw.removeSubrange(..<(lineEnd.upperBound + size + 2))
        }
    }

    private func takeEvent() -> Event? {
        decodeChunks()
        while let end = body.firstRange(of: Array("\n\n".utf8)) {
            let block = String(decoding: body[..<end.lowerBound], as: UTF8.self)
            body.removeSubrange(..<end.upperBound)
            var id: String?
            var type = "message"
            var data = ""
            var onlyComments = true
            for line in block.split(separator: "\n") {
                if line.hasPrefix(":") { comments += 1; continue }
                onlyComments = false
                if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data += line.dropFirst(6) }
            }
            if onlyComments { continue }
            return Event(id: id, type: type, data: (try? ManagementAPIJSON(parsing: Array(data.utf8))) ?? .missing)
        }
        return nil
    }
}
