import Foundation
import ZTPTestSupport

/// The kernel's view of the server's end of one loopback connection (`ProcNetTCP`): whether
/// the server process still holds it. After the server closes a socket that the peer has not
/// drained, the kernel keeps it as an orphan (inode 0) until the bytes are sent or given up; a
/// socket that the process holds has its inode.
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
        guard let row = row(serverPort: serverPort, clientPort: clientPort) else { return .released }
        return row.inode == 0 ? .released : .held
    }

    /// Bytes the server's end has written and the peer has not acknowledged (its send queue).
    static func serverSendQueue(serverPort: Int, clientPort: Int) -> Int? {
        row(serverPort: serverPort, clientPort: clientPort)?.sendQueue
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

    private static func row(serverPort: Int, clientPort: Int) -> ProcNetTCP.Row? {
        ProcNetTCP.rows().first { $0.localPort == serverPort && $0.remotePort == clientPort }
    }
}
