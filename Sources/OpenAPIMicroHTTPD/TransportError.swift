/// Why a `MicroHTTPDTransport` could not start.
public struct TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable, Equatable {
        /// The host is not an IPv4 or IPv6 literal, or the port is outside 0...65535.
        case invalidAddress
        /// libmicrohttpd refused to start, typically because the address is in use.
        case startFailed
        /// A route was registered twice or too late.
        case invalidRoute
    }

    public var code: Code
    public var description: String

    static func invalidAddress(_ host: String, _ port: Int) -> TransportError {
        TransportError(
            code: .invalidAddress,
            description: "'\(host)' port \(port) is not an IPv4/IPv6 literal address and port"
        )
    }

    static func startFailed(_ host: String, _ port: Int) -> TransportError {
        TransportError(code: .startFailed, description: "could not listen on \(host) port \(port)")
    }
}

extension TransportError {
    /// An operation was registered twice, or after the transport started.
    static func duplicateRoute(_ method: String, _ template: String) -> TransportError {
        TransportError(code: .invalidRoute, description: "route \(method) \(template) is registered twice")
    }

    static func registeredAfterStart(_ method: String, _ template: String) -> TransportError {
        TransportError(code: .invalidRoute, description: "route \(method) \(template) is registered after start")
    }
}
