import CMicroHTTPD
import HTTPTypes

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

    /// Hands a response with `body` to libmicrohttpd, which copies it (and sends none for HEAD).
    func queue(_ response: HTTPResponse, body: [UInt8]) -> MHD_Result {
        let created = body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY
            )
        }
        guard let created else { return .NO }
        return queue(created, head: response)
    }

    /// Hands a response whose body `stream` produces to libmicrohttpd, sent chunked. The
    /// stream is retained until libmicrohttpd frees the response.
    func queue(_ response: HTTPResponse, stream: ResponseStream) -> MHD_Result {
        let retained = Unmanaged.passRetained(stream)
        let created = MHD_create_response_from_callback(
            UInt64.max,  // MHD_SIZE_UNKNOWN
            16 * 1024,
            { cls, _, buffer, max in
                guard let cls, let buffer else { return -2 }  // MHD_CONTENT_READER_END_WITH_ERROR
                return Unmanaged<ResponseStream>.fromOpaque(cls).takeUnretainedValue().read(into: buffer, max: max)
            },
            retained.toOpaque(),
            { cls in
                guard let cls else { return }
                let stream = Unmanaged<ResponseStream>.fromOpaque(cls)
                stream.takeUnretainedValue().release()
                stream.release()
            }
        )
        guard let created else {
            retained.release()
            return .NO
        }
        return queue(created, head: response)
    }

    private func queue(_ created: OpaquePointer, head: HTTPResponse) -> MHD_Result {
        defer { MHD_destroy_response(created) }
        for field in head.headerFields where !Self.isFraming(field.name) {
            _ = MHD_add_response_header(created, field.name.rawName, field.value)
        }
        return MHD_queue_response(pointer, UInt32(head.status.code), created)
    }

    // libmicrohttpd frames the body itself; a handler's own framing headers would contradict it.
    private static func isFraming(_ name: HTTPField.Name) -> Bool {
        name == .contentLength || name == .transferEncoding || name == .connection
    }
}
