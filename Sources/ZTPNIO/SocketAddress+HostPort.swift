import NIOCore

extension SocketAddress {
    /// `ip:port`, or `[ip]:port` for IPv6: what tells two connections from one host apart.
    public var hostPort: String {
        switch self {
        case .v6: "[\(ipAddress ?? "::")]:\(port ?? 0)"
        default: "\(ipAddress ?? "?"):\(port ?? 0)"
        }
    }
}
