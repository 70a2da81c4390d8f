import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads the options of a live TCP connection held by any process this one may trace (its own
/// children, or any process when root): the connection is found in `ProcNetTCP`, its socket
/// among the holder's descriptors, and the holder's descriptor is borrowed with `pidfd_getfd`.
/// This asks the kernel what a socket really has, not what our code meant to set.
public enum SocketProbe {
    public struct Options: Sendable, Equatable, CustomStringConvertible {
        /// TCP_NODELAY (IPPROTO_TCP).
        public var noDelay: Bool
        /// SO_DEBUG (SOL_SOCKET): what `.socketOption(.tcp_nodelay)` really sets.
        public var debug: Bool
        public var description: String { "TCP_NODELAY=\(noDelay ? 1 : 0) SO_DEBUG=\(debug ? 1 : 0)" }

        public init(noDelay: Bool, debug: Bool) {
            self.noDelay = noDelay
            self.debug = debug
        }
    }

    /// One end of an established TCP connection and the process holding it.
    public struct Endpoint: Sendable, CustomStringConvertible {
        public let pid: pid_t
        /// The holder's effective user, from the owner of /proc/PID.
        public let uid: uid_t
        public let descriptor: Int32
        public let localPort: Int
        public let remotePort: Int
        public var description: String { "pid \(pid) (uid \(uid)) fd \(descriptor) :\(localPort) -> :\(remotePort)" }

        public func options() throws -> Options {
            let fd = try borrow()
            defer { if pid != getpid() { close(fd) } }
            return Options(noDelay: try flag(fd, Int32(IPPROTO_TCP), 1 /* TCP_NODELAY */),
                           debug: try flag(fd, SOL_SOCKET, SO_DEBUG))
        }

        private func borrow() throws -> Int32 {
            if pid == getpid() { return descriptor }
            guard let open = pidfdOpen, let getfd = pidfdGetfd else { throw ProbeFailure("pidfd_open/pidfd_getfd are not in this libc") }
            let pidfd = open(pid, 0)
            guard pidfd >= 0 else { throw ProbeFailure("pidfd_open(\(pid)): \(String(cString: strerror(errno)))") }
            defer { close(pidfd) }
            let fd = getfd(pidfd, descriptor, 0)
            guard fd >= 0 else { throw ProbeFailure("pidfd_getfd(\(pid), \(descriptor)): \(String(cString: strerror(errno)))") }
            return fd
        }

        private func flag(_ fd: Int32, _ level: Int32, _ name: Int32) throws -> Bool {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, level, name, &value, &length) == 0 else {
                throw ProbeFailure("getsockopt(\(level), \(name)) on \(self): \(String(cString: strerror(errno)))")
            }
            return value != 0
        }
    }

    /// Established connections matching the ports given, with the processes that hold them
    /// (only `pid` when given; otherwise every process whose descriptors are readable).
    public static func endpoints(localPort: Int? = nil, remotePort: Int? = nil, pid: pid_t? = nil) throws -> [Endpoint] {
        var wanted: [UInt64: (local: Int, remote: Int)] = [:]
        for row in ProcNetTCP.rows() where row.isEstablished {
            if let localPort, row.localPort != localPort { continue }
            if let remotePort, row.remotePort != remotePort { continue }
            wanted[row.inode] = (row.localPort, row.remotePort)
        }
        guard !wanted.isEmpty else { return [] }
        let pids = pid.map { [$0] } ?? ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
        var found: [Endpoint] = []
        for holder in pids {
            let folder = "/proc/\(holder)/fd"
            guard let descriptors = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            var owner = stat()
            guard stat("/proc/\(holder)", &owner) == 0 else { continue }
            for name in descriptors {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(folder)/\(name)"),
                      target.hasPrefix("socket:["), let inode = UInt64(target.dropFirst(8).dropLast()),
                      let ports = wanted[inode], let descriptor = Int32(name) else { continue }
                found.append(Endpoint(pid: holder, uid: owner.st_uid, descriptor: descriptor,
                                      localPort: ports.local, remotePort: ports.remote))
            }
        }
        return found
    }

    // glibc 2.36 has both, but Swift's Glibc module does not import <sys/pidfd.h>.
    private typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
    private typealias PidfdGetfd = @convention(c) (Int32, Int32, UInt32) -> Int32
    private static let pidfdOpen: PidfdOpen? = dlsym(dlopen(nil, RTLD_NOW), "pidfd_open").map { unsafeBitCast($0, to: PidfdOpen.self) }
    private static let pidfdGetfd: PidfdGetfd? = dlsym(dlopen(nil, RTLD_NOW), "pidfd_getfd").map { unsafeBitCast($0, to: PidfdGetfd.self) }
}

public struct ProbeFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
