#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Conversions between IP literals and `sockaddr`s for the daemon's listen and peer addresses.
enum SocketAddress {
    /// A listen address for an IPv4 or IPv6 literal (brackets allowed around IPv6) and port.
    static func make(host: String, port: Int) -> (storage: sockaddr_storage, isIPv6: Bool)? {
        guard (0...65535).contains(port) else { return nil }
        var storage = sockaddr_storage()
        var ipv4 = sockaddr_in()
        if inet_pton(AF_INET, host, &ipv4.sin_addr) == 1 {
            ipv4.sin_family = sa_family_t(AF_INET)
            ipv4.sin_port = UInt16(port).bigEndian
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: ipv4, as: sockaddr_in.self) }
            return (storage, false)
        }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var ipv6 = sockaddr_in6()
        if inet_pton(AF_INET6, bare, &ipv6.sin6_addr) == 1 {
            ipv6.sin6_family = sa_family_t(AF_INET6)
            ipv6.sin6_port = UInt16(port).bigEndian
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: ipv6, as: sockaddr_in6.self) }
            return (storage, true)
        }
        return nil
    }

    /// The numeric host of a peer address ("192.0.2.1", "2001:db8::1"), or "" if unknown.
    static func describe(_ address: UnsafePointer<sockaddr>?) -> String {
        guard let address else { return "" }
        let length: Int
        switch Int32(address.pointee.sa_family) {
        case AF_INET: length = MemoryLayout<sockaddr_in>.size
        case AF_INET6: length = MemoryLayout<sockaddr_in6>.size
        default: return ""
        }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = getnameinfo(
            address, socklen_t(length), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST
        )
        guard status == 0 else { return "" }
        return host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
