import CMicroHTTPD

/// A libmicrohttpd connection during an access-handler call: reads the request's parts and
/// queues the response. Valid only inside that call, on the daemon's thread.
struct MHDConnection {
    let pointer: OpaquePointer

    /// The value of request header `name` (libmicrohttpd compares names case-insensitively).
    func header(_ name: String) -> String? {
        MHD_lookup_connection_value(pointer, .HEADER_KIND, name).map { String(cString: $0) }
    }

    /// All request headers in arrival order, names as the client sent them.
    func headers() -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        withUnsafeMutablePointer(to: &headers) { list in
            _ = MHD_get_connection_values(pointer, .HEADER_KIND, { context, _, key, value in
                guard let context, let key else { return .YES }
                let list = context.assumingMemoryBound(to: [(name: String, value: String)].self)
                list.pointee.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
                return .YES
            }, list)
        }
        return headers
    }

    /// The query arguments in order, still percent-encoded (the daemon keeps libmicrohttpd from
    /// decoding them); a name without "=" has a nil value.
    func rawQueryArguments() -> [(name: String, value: String?)] {
        var arguments: [(name: String, value: String?)] = []
        withUnsafeMutablePointer(to: &arguments) { list in
            _ = MHD_get_connection_values_n(pointer, .GET_ARGUMENT_KIND, { context, _, key, keySize, value, valueSize in
                guard let context, let key else { return .YES }
                let list = context.assumingMemoryBound(to: [(name: String, value: String?)].self)
                let name = String(decoding: UnsafeRawBufferPointer(start: key, count: keySize), as: UTF8.self)
                let text = value.map {
                    String(decoding: UnsafeRawBufferPointer(start: $0, count: valueSize), as: UTF8.self)
                }
                list.pointee.append((name, text))
                return .YES
            }, list)
        }
        return arguments
    }

    /// The peer's numeric IP address, or "" if unknown.
    func remoteAddress() -> String {
        SocketAddress.describe(ztp_mhd_client_address(pointer))
    }

    /// Hands `response` to libmicrohttpd, which copies the body and sends it (no body for HEAD).
    func queue(_ response: HTTPResponse) -> MHD_Result {
        let created = response.body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY
            )
        }
        guard let created else { return .NO }
        defer { MHD_destroy_response(created) }
        for (name, value) in response.headers where !Self.isFraming(name) {
            _ = MHD_add_response_header(created, name, value)
        }
        return MHD_queue_response(pointer, UInt32(response.status), created)
    }

    // libmicrohttpd frames the body itself; a handler's own framing headers would contradict it.
    private static func isFraming(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered == "content-length" || lowered == "transfer-encoding" || lowered == "connection"
    }
}
