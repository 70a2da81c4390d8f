/// A CLOSE frame's code (ZTP-1 section 6). A struct rather than an enum because a peer may
/// send codes this version does not know; those are kept as-is and shown by number.
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let normal = CloseCode(rawValue: 0)
    public static let idleTimeout = CloseCode(rawValue: 1)
    public static let protocolError = CloseCode(rawValue: 2)
    public static let authFailed = CloseCode(rawValue: 3)
    public static let tokenExpired = CloseCode(rawValue: 4)
    public static let tokenRevoked = CloseCode(rawValue: 5)
    public static let forbidden = CloseCode(rawValue: 6)
    public static let flowControlError = CloseCode(rawValue: 7)
    public static let tooManyStreams = CloseCode(rawValue: 8)
    public static let unknownStream = CloseCode(rawValue: 9)
    public static let serverShutdown = CloseCode(rawValue: 10)
    public static let terminated = CloseCode(rawValue: 11)
    public static let unknownRole = CloseCode(rawValue: 12)
    public static let slowConsumer = CloseCode(rawValue: 13)
    public static let tooManySessions = CloseCode(rawValue: 14)

    private static let names = [
        "NORMAL", "IDLE_TIMEOUT", "PROTOCOL_ERROR", "AUTH_FAILED", "TOKEN_EXPIRED", "TOKEN_REVOKED",
        "FORBIDDEN", "FLOW_CONTROL_ERROR", "TOO_MANY_STREAMS", "UNKNOWN_STREAM", "SERVER_SHUTDOWN",
        "TERMINATED", "UNKNOWN_ROLE", "SLOW_CONSUMER", "TOO_MANY_SESSIONS",
    ]

    /// The spec's name, e.g. `AUTH_FAILED`, or `CODE_<n>` for codes this version does not define.
    public var name: String {
        Int(rawValue) < Self.names.count ? Self.names[Int(rawValue)] : "CODE_\(rawValue)"
    }

    public var description: String { name }
}
