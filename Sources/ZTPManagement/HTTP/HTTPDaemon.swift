import CMicroHTTPD
import Logging
import Synchronization

/// An HTTP/1.1 server on libmicrohttpd that hands complete, size-bounded requests to a handler.
///
/// The daemon runs on its own epoll threads (`Configuration.threadPoolSize`) and calls the
/// handler synchronously there, so handlers must not block for long. Bodies over
/// `Configuration.bodyLimit` are answered 413 without being buffered; anything a handler throws
/// becomes a problem+json response. For each response, once it is ready and before it is sent,
/// `observer` receives the method, route template, status and seconds taken, for metrics.
///
/// Starting happens in `init`; `stop()` (idempotent, also run by `deinit`) closes the listening
/// socket and waits for in-flight callbacks. The daemon pointer is guarded by a `Mutex`, which is
/// why the class can be `@unchecked Sendable`.
public final class HTTPDaemon: @unchecked Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse
    public typealias Observer = @Sendable (
        _ method: String, _ route: String, _ status: Int, _ seconds: Double
    ) -> Void

    /// The running daemon and the context its callbacks use; both end together in `stop()`.
    private struct Running: @unchecked Sendable {
        let daemon: OpaquePointer
        let context: Unmanaged<DaemonContext>
    }

    public let configuration: Configuration
    /// The bound TCP port (the kernel's pick when `configuration.port` is 0).
    public let port: Int
    private let running: Mutex<Running?>

    /// Starts serving `router`, labelling even early 413 answers with the route they targeted.
    public convenience init(
        configuration: Configuration,
        router: Router,
        logger: Logger = Logger(label: "ztp.management.http"),
        observer: Observer? = nil
    ) throws(HTTPDaemonError) {
        try self.init(
            configuration: configuration,
            logger: logger,
            observer: observer,
            routeLabel: router.routeLabel(for:),
            handler: router.handle
        )
    }

    /// Starts serving `handler`; a response's route label comes from `Router` when it made it.
    public convenience init(
        configuration: Configuration,
        logger: Logger = Logger(label: "ztp.management.http"),
        observer: Observer? = nil,
        handler: @escaping Handler
    ) throws(HTTPDaemonError) {
        try self.init(
            configuration: configuration,
            logger: logger,
            observer: observer,
            routeLabel: { _ in Router.unmatched },
            handler: handler
        )
    }

    init(
        configuration: Configuration,
        logger: Logger,
        observer: Observer?,
        routeLabel: @escaping @Sendable (HTTPRequest) -> String,
        handler: @escaping Handler
    ) throws(HTTPDaemonError) {
        let host = configuration.host
        guard let (address, isIPv6) = SocketAddress.make(host: host, port: configuration.port) else {
            throw .invalidAddress(host, configuration.port)
        }
        let context = Unmanaged.passRetained(DaemonContext(
            handler: handler,
            observer: observer,
            routeLabel: routeLabel,
            bodyLimit: configuration.bodyLimit,
            logger: logger
        ))
        var flags = MHD_USE_EPOLL_INTERNAL_THREAD.rawValue
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
                    return Unmanaged<DaemonContext>.fromOpaque(cls).takeUnretainedValue().access(
                        connection: MHDConnection(pointer: connection),
                        method: String(cString: method),
                        rawPath: String(cString: url),
                        upload: upload,
                        uploadSize: uploadSize,
                        slot: slot
                    )
                },
                context.toOpaque(),
                { cls, _, slot, _ in
                    guard let cls, let slot else { return }
                    Unmanaged<DaemonContext>.fromOpaque(cls).takeUnretainedValue().complete(slot: slot)
                },
                context.toOpaque(),
                UInt32(clamping: configuration.connectionLimit),
                UInt32(clamping: configuration.connectionTimeoutSeconds),
                UInt32(clamping: configuration.threadPoolSize > 1 ? configuration.threadPoolSize : 0)
            )
        }
        guard let daemon else {
            context.release()
            throw .startFailed(host, configuration.port)
        }
        self.configuration = configuration
        self.port = Int(ztp_mhd_bound_port(daemon))
        self.running = Mutex(Running(daemon: daemon, context: context))
    }

    /// Requests in progress: their context is allocated and not yet freed (0 once idle).
    var openRequestCount: Int {
        running.withLock { $0?.context.takeUnretainedValue().openRequests.load(ordering: .relaxed) ?? 0 }
    }

    /// Stops listening and waits for the daemon's threads; safe to call more than once.
    public func stop() {
        let stopping = running.withLock { running in
            let current = running
            running = nil
            return current
        }
        guard let stopping else { return }
        MHD_stop_daemon(stopping.daemon)
        stopping.context.release()
    }

    deinit {
        stop()
    }
}
