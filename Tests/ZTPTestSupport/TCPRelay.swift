import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP relay on loopback to one upstream port, that a test can cut and restore: an outage of
/// the service behind it (the test's PostgreSQL, shared with other tests) as one client sees
/// it, without stopping the service.
///
/// Cut, every relayed connection is shut down both ways and each new one is closed as soon as
/// it is accepted (a connection that fails at once, as to a host that is down); restored, new
/// connections are relayed again. Blocking sockets, a thread per direction: for tests only.
public final class TCPRelay: @unchecked Sendable {
    public let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    /// Guards `isCut`, `closed`, `refusals` and `open`.
    private let lock = NSLock()
    private var isCut = false
    private var closed = false
    private var refusals = 0
    /// Both sockets of every relayed connection, so a cut can shut them down.
    private var open: Set<Int32> = []

    public init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw TCPRelayError("socket: \(errno)") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(listener, 64) == 0 else {
            Glibc.close(listener)
            throw TCPRelayError("bind or listen: \(errno)")
        }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: local.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "tcp-relay-accept"
        thread.start()
    }

    /// Ends every relayed connection and refuses new ones until `restore()`.
    public func cut() {
        // Under the lock: a pair closes its sockets only once they have left `open`.
        lock.withLock {
            isCut = true
            for socket in open { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    /// Connections closed at accept because the relay was cut: attempts a client made and lost.
    public var refusedConnections: Int {
        lock.withLock { refusals }
    }

    public func restore() {
        lock.withLock { isCut = false }
    }

    /// Cuts and stops accepting, for good.
    public func close() {
        lock.withLock { closed = true }
        cut()
        shutdown(listener, Int32(SHUT_RDWR))
    }

    deinit {
        Glibc.close(listener)
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return
            }
            let (refused, finished) = lock.withLock { (isCut, closed) }
            if finished { Glibc.close(client); return }
            if refused {
                Glibc.close(client)
                lock.withLock { refusals += 1 }
                continue
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard upstream >= 0, connected == 0 else {
                if upstream >= 0 { Glibc.close(upstream) }
                Glibc.close(client)
                continue
            }
            lock.withLock {
                open.insert(client)
                open.insert(upstream)
            }
            let pair = Pair(client, upstream) { [self] in
                lock.withLock {
                    open.remove(client)
                    open.remove(upstream)
                }
            }
            for (from, to) in [(client, upstream), (upstream, client)] {
                let thread = Thread { pair.pump(from: from, to: to) }
                thread.name = "tcp-relay-pump"
                thread.start()
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    /// One relayed connection: two pumps; the second to finish closes both sockets (after
    /// they are out of the relay's set, so a cut never shuts down a reused descriptor).
    private final class Pair: @unchecked Sendable {
        private let sockets: (Int32, Int32)
        private let forget: () -> Void
        private let lock = NSLock()
        private var running = 2

        init(_ first: Int32, _ second: Int32, forget: @escaping () -> Void) {
            sockets = (first, second)
            self.forget = forget
        }

        func pump(from: Int32, to: Int32) {
            var buffer = [UInt8](repeating: 0, count: 16_384)
            loop: while true {
                let count = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                var sent = 0
                while sent < count {
                    let written = buffer.withUnsafeBytes { send(to, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
                    if written < 0, errno == EINTR { continue }
                    if written <= 0 { break loop }
                    sent += written
                }
            }
            // Either side ending ends the connection both ways.
            shutdown(sockets.0, Int32(SHUT_RDWR))
            shutdown(sockets.1, Int32(SHUT_RDWR))
            let last: Bool = lock.withLock {
                running -= 1
                return running == 0
            }
            guard last else { return }
            forget()
            Glibc.close(sockets.0)
            Glibc.close(sockets.1)
        }
    }
}

public struct TCPRelayError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
