import Foundation

/// The kernel's view of the server's end of one loopback connection, from `/proc/net/tcp`:
/// whether the server process still holds it. After the server closes a socket that the peer
/// has not drained, the kernel keeps it as an orphan (inode 0) until the bytes are sent or
/// given up; a socket that the process holds has its inode.
enum TCPTable {
    enum ServerEnd: Equatable {
        /// The server process has the socket open.
        case held
        /// Closed by the server (an orphan still draining, or gone from the table).
        case released
    }

    /// The server's end of the connection between `serverPort` and the client's `clientPort`
    /// (for a client's end, swap the ports: the end is named by its local port).
    static func serverEnd(serverPort: Int, clientPort: Int) -> ServerEnd {
        guard let table = readProcFile("/proc/net/tcp") else { return .released }
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 10, port(fields[1]) == serverPort, port(fields[2]) == clientPort else { continue }
            return fields[9] == "0" ? .released : .held
        }
        return .released
    }

    /// Bytes the server's end has written and the peer has not acknowledged (its send queue).
    static func serverSendQueue(serverPort: Int, clientPort: Int) -> Int? {
        guard let table = readProcFile("/proc/net/tcp") else { return nil }
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 10, port(fields[1]) == serverPort, port(fields[2]) == clientPort,
                  let colon = fields[4].firstIndex(of: ":") else { continue }
            return Int(fields[4][..<colon], radix: 16)
        }
        return nil
    }

    /// Waits until the server's end is released; returns how long that took, or nil on timeout.
    static func waitForRelease(serverPort: Int, clientPort: Int, within timeout: Duration) async -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if serverEnd(serverPort: serverPort, clientPort: clientPort) == .released { return ContinuousClock.now - start }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// A file of /proc, read to its end (its size shows as 0, so readers that trust the size
    /// get nothing).
    private static func readProcFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `0100007F:4E20` -> 20000.
    private static func port(_ address: Substring) -> Int? {
        guard let colon = address.lastIndex(of: ":") else { return nil }
        return Int(address[address.index(after: colon)...], radix: 16)
    }
}
