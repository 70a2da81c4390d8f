/// Why an `HTTPDaemon` could not start.
public struct HTTPDaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable, Equatable {
        /// The host is not an IPv4 or IPv6 literal, or the port is outside 0...65535.
        case invalidAddress
        /// libmicrohttpd refused to start, typically because the address is in use.
        case startFailed
    }

    public var code: Code
    public var description: String

    static func invalidAddress(_ host: String, _ port: Int) -> HTTPDaemonError {
        HTTPDaemonError(
            code: .invalidAddress,
            description: "'\(host)' port \(port) is not an IPv4/IPv6 literal address and port"
        )
    }

    static func startFailed(_ host: String, _ port: Int) -> HTTPDaemonError {
        HTTPDaemonError(code: .startFailed, description: "could not listen on \(host) port \(port)")
    }
}
