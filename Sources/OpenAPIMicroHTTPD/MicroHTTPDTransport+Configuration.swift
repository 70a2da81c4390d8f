extension MicroHTTPDTransport {
    /// Where and how a `MicroHTTPDTransport` listens, and the limits it enforces on each connection.
    public struct Configuration: Sendable, Equatable {
        /// An IPv4 or IPv6 literal ("127.0.0.1", "::1", "[::1]", "0.0.0.0", "::").
        public var host: String
        /// The TCP port; 0 lets the kernel pick one, which `MicroHTTPDTransport.port` then reports.
        public var port: Int
        /// Concurrent connections accepted; further ones are refused.
        public var connectionLimit: Int
        /// Seconds of inactivity after which a connection is closed.
        public var connectionTimeoutSeconds: Int
        /// The largest request body accepted; a larger one is answered 413 without buffering it.
        public var bodyLimit: Int
        /// Worker threads polling with epoll; 1 means a single internal thread.
        public var threadPoolSize: Int
        /// Bytes of a streamed response (unknown length) held ahead of the client; past it the
        /// transport stops pulling from the body until the client has taken some.
        public var streamBufferLimit: Int = 64 * 1024
        /// The largest response body of known length; a handler's larger one is a 500.
        public var responseLimit: Int = 16 << 20
        /// How long `shutdown` waits for handlers in flight before answering them 503.
        public var shutdownGracePeriod: Duration = .seconds(5)

        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            connectionLimit: Int = 256,
            connectionTimeoutSeconds: Int = 10,
            bodyLimit: Int = 64 * 1024,
            threadPoolSize: Int = 2
        ) {
            self.host = host
            self.port = port
            self.connectionLimit = connectionLimit
            self.connectionTimeoutSeconds = connectionTimeoutSeconds
            self.bodyLimit = bodyLimit
            self.threadPoolSize = threadPoolSize
        }
    }
}
