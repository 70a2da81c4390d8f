import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The kernel's table of IPv4 and IPv6 TCP sockets (`/proc/net/tcp`, `/proc/net/tcp6`): what
/// the tests read to see a socket's state from outside the process that holds it.
public enum ProcNetTCP {
    public struct Row: Sendable {
        public let localPort: Int
        public let remotePort: Int
        /// `01` is ESTABLISHED.
        public let state: Substring
        /// Bytes written and not yet acknowledged by the peer.
        public let sendQueue: Int
        /// 0 once no process holds the socket (an orphan still draining).
        public let inode: UInt64

        public var isEstablished: Bool { state == "01" }
    }

    public static func rows() -> [Row] {
        var rows: [Row] = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = readWhole(table) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, let local = port(fields[1]), let remote = port(fields[2]),
                      let colon = fields[4].firstIndex(of: ":"), let queue = Int(fields[4][..<colon], radix: 16),
                      let inode = UInt64(fields[9]) else { continue }
                rows.append(Row(localPort: local, remotePort: remote, state: fields[3], sendQueue: queue, inode: inode))
            }
        }
        return rows
    }

    /// A /proc file read to its end. Its size reads as 0, and a reader that trusts the size or
    /// stops at the first short read misses the connections past the first page.
    private static func readWhole(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The port of an address, `HEXIP:HEXPORT` (`0100007F:4E20` -> 20000).
    private static func port(_ field: Substring) -> Int? {
        guard let colon = field.lastIndex(of: ":") else { return nil }
        return Int(field[field.index(after: colon)...], radix: 16)
    }
}
