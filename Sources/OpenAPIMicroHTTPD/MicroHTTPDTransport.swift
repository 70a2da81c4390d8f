import CMicroHTTPD
import Foundation
import HTTPTypes
import Logging
import OpenAPIRuntime

/// A swift-openapi-runtime `ServerTransport` on libmicrohttpd.
///
/// Register the generated handlers, then `start()`. Requests are read on libmicrohttpd's epoll
/// threads with bodies bounded by `Configuration.bodyLimit` (a larger one is answered 413 and
/// never buffered); each handler then runs as a task while its connection is suspended, so no
/// MHD thread waits on one. Bodies of known length are sent from a buffer, others (event
/// streams) chunked as they are produced, with back-pressure. `shutdown()` answers new requests 503,
/// ends streams, gives handlers in flight a grace period, then stops the daemon.
///
/// Handlers read `MicroHTTPDRequestContext.current` for the peer address and route template.
/// The transport answers by itself only what matches no operation (404, 405 with `Allow`),
/// a malformed request target (400), a body over the limit (413) and requests during shutdown
/// (503); `observer` sees those answers, so they can be counted with the handlers' own.
public final class MicroHTTPDTransport: ServerTransport, @unchecked Sendable {
    public typealias Observer = @Sendable (_ method: String, _ route: String, _ status: Int, _ elapsed: Duration) -> Void

    /// The running daemon and the context its callbacks use; both end together in `shutdown`.
    private struct Running: @unchecked Sendable {
        let daemon: OpaquePointer
        let core: Unmanaged<DaemonCore>
    }

    private enum Phase {
        case registering(RouteTable)
        case running(Running)
        case stopped
    }

    public let configuration: Configuration
    private let logger: Logger
    private let observer: Observer?
    private let phase: Locked<Phase>
    private let boundPort = Locked(0)

    public init(configuration: Configuration, logger: Logger = Logger(label: "openapi.microhttpd"),
                observer: Observer? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.observer = observer
        self.phase = Locked(.registering(RouteTable()))
    }

    /// The bound TCP port once started (the kernel's pick when `configuration.port` is 0).
    public var port: Int { boundPort.withLock { $0 } }

    public func register(
        _ handler: @Sendable @escaping (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        try phase.withLock { phase in
            guard case .registering(var routes) = phase else {
                throw TransportError.registeredAfterStart(method.rawValue, path)
            }
            try routes.add(method: method, template: path, handler: handler)
            phase = .registering(routes)
        }
    }

    /// Binds and starts serving what is registered.
    public func start() throws(TransportError) {
        let routes: RouteTable? = phase.withLock { phase in
            guard case .registering(let routes) = phase else { return nil }
            phase = .stopped
            return routes
        }
        guard let routes else { return }
        let running = try Self.startDaemon(routes: routes, configuration: configuration, logger: logger, observer: observer)
        boundPort.withLock { $0 = Int(ztp_mhd_bound_port(running.daemon)) }
        phase.withLock { $0 = .running(running) }
    }

    /// Requests whose context is allocated and not yet freed (0 once idle).
    var openRequestCount: Int {
        phase.withLock { if case .running(let running) = $0 { running.core.takeUnretainedValue().openRequestCount } else { 0 } }
    }

    /// Answers new requests 503, ends streamed responses, waits up to the grace period for
    /// handlers in flight, then stops libmicrohttpd, which frees the port. Safe to call more than once.
    public func shutdown() async {
        // On a thread of its own: `stop` polls and sleeps for up to the grace period, which on a
        // Dispatch worker would hold one of the threads Swift's concurrency runs on.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread {
                self.stop(grace: self.configuration.shutdownGracePeriod)
                continuation.resume()
            }.start()
        }
    }

    /// `shutdown` without waiting for handlers, blocking the caller.
    public func stop(grace: Duration = .zero) {
        let running: Running? = phase.withLock { phase in
            guard case .running(let running) = phase else {
                phase = .stopped
                return nil
            }
            phase = .stopped
            return running
        }
        guard let running else { return }
        // No MHD_quiesce_daemon: with epoll it races the daemon's own threads for the listening
        // socket and libmicrohttpd 0.9.75 aborts the process when it loses (MHD_PANIC, "Failed to
        // remove listen FD from epoll set"). Requests arriving during the drain are answered 503;
        // the port is freed when the daemon stops.
        guard running.core.takeUnretainedValue().drain(grace: grace) else {
            // libmicrohttpd aborts the process if stopped with a connection suspended; leaking
            // the daemon is the lesser harm, and it no longer listens.
            logger.error("HTTP shutdown left a suspended connection behind; the daemon is not stopped")
            return
        }
        MHD_stop_daemon(running.daemon)
        running.core.release()
    }

    deinit {
        stop()
    }

    private static func startDaemon(routes: RouteTable, configuration: Configuration, logger: Logger,
                                    observer: Observer?) throws(TransportError) -> Running {
        let host = configuration.host
        guard let (address, isIPv6) = SocketAddress.make(host: host, port: configuration.port) else {
            throw .invalidAddress(host, configuration.port)
        }
        let core = Unmanaged.passRetained(DaemonCore(routes: routes, configuration: configuration, logger: logger,
                                                     observer: observer))
        var flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        if isIPv6 {
            flags |= MHD_USE_IPv6.rawValue
        }
        let daemon = withUnsafeBytes(of: address) { bytes in
            ztp_mhd_start_undecoded(
                flags,
                bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self),
                { cls, connection, url, method, _, uploadData, uploadSize, slot in
                    guard let cls, let connection, let url, let method, let uploadSize, let slot else {
                        return .NO
                    }
                    let upload = UnsafeRawBufferPointer(
                        start: uploadData, count: uploadData == nil ? 0 : uploadSize.pointee
                    )
                    return Unmanaged<DaemonCore>.fromOpaque(cls).takeUnretainedValue().access(
                        connection: MHDConnection(pointer: connection),
                        method: String(cString: method),
                        rawPath: String(cString: url),
                        upload: upload,
                        uploadSize: uploadSize,
                        slot: slot
                    )
                },
                core.toOpaque(),
                { cls, _, slot, _ in
                    guard let cls, let slot else { return }
                    Unmanaged<DaemonCore>.fromOpaque(cls).takeUnretainedValue().complete(slot: slot)
                },
                core.toOpaque(),
                UInt32(clamping: configuration.connectionLimit),
                UInt32(clamping: configuration.connectionTimeoutSeconds),
                UInt32(clamping: configuration.threadPoolSize > 1 ? configuration.threadPoolSize : 0)
            )
        }
        guard let daemon else {
            core.release()
            throw .startFailed(host, configuration.port)
        }
        return Running(daemon: daemon, core: core)
    }
}
