/// A frame's meaning once its payload is in the clear (after opening, for encrypted types).
public enum Frame: Equatable, Sendable {
    case handshakeInit(token: [UInt8])
    case handshakeAck(parameters: [UInt8])
    case data(stream: UInt32, payload: [UInt8])
    case close(stream: UInt32, code: CloseCode, reason: [UInt8])
    case clientHello(ephemeralKey: [UInt8])
    case serverHello(ephemeralKey: [UInt8], identityKey: [UInt8], signature: [UInt8])
    case ping(opaque: [UInt8])
    case pong(opaque: [UInt8])
    case windowUpdate(stream: UInt32, increment: UInt32)
    case keyUpdate

    public static let maxCloseReasonBytes = 256
    /// "u32(increment), 1 to 2^31 - 1" (section 2).
    public static let maxWindowIncrement: UInt32 = 0x7FFF_FFFF

    public var type: FrameType {
        switch self {
        case .handshakeInit: return .handshakeInit
        case .handshakeAck: return .handshakeAck
        case .data: return .data
        case .close: return .close
        case .clientHello: return .clientHello
        case .serverHello: return .serverHello
        case .ping: return .ping
        case .pong: return .pong
        case .windowUpdate: return .windowUpdate
        case .keyUpdate: return .keyUpdate
        }
    }

    public var streamID: UInt32 {
        switch self {
        case .data(let stream, _), .close(let stream, _, _), .windowUpdate(let stream, _): return stream
        case .handshakeInit, .handshakeAck, .clientHello, .serverHello, .ping, .pong, .keyUpdate: return 0
        }
    }

    /// Interprets a checked header's plaintext payload. Sizes were enforced on the header, so
    /// only rules about the content remain.
    public init(header: FrameHeader, plaintext: [UInt8]) throws(ZTPError) {
        switch header.type {
        case .handshakeInit: self = .handshakeInit(token: plaintext)
        case .handshakeAck: self = .handshakeAck(parameters: plaintext)
        case .data: self = .data(stream: header.streamID, payload: plaintext)
        case .close:
            let code = CloseCode(rawValue: UInt16(plaintext[0]) << 8 | UInt16(plaintext[1]))
            self = .close(stream: header.streamID, code: code, reason: Array(plaintext[2...]))
        case .clientHello: self = .clientHello(ephemeralKey: plaintext)
        case .serverHello:
            self = .serverHello(ephemeralKey: Array(plaintext[0..<32]), identityKey: Array(plaintext[32..<64]),
                                signature: Array(plaintext[64..<128]))
        case .ping: self = .ping(opaque: plaintext)
        case .pong: self = .pong(opaque: plaintext)
        case .windowUpdate:
            self = try .windowUpdate(header: header, increment: plaintext.withUnsafeBytes { $0.readUInt32(at: 0) })
        case .keyUpdate: self = .keyUpdate
        }
    }

    /// A WINDOW_UPDATE once its increment is read, checked as the rules of section 4.1 say.
    static func windowUpdate(header: FrameHeader, increment: UInt32) throws(ZTPError) -> Frame {
        // "an increment of 0 is PROTOCOL_ERROR, whether or not the stream is open" (4.1)
        guard increment != 0 else { throw .protocolError(.zeroIncrement, "WINDOW_UPDATE of 0 on stream \(header.streamID)") }
        // The increment is "1 to 2^31 - 1" (section 2); a larger one takes any window above
        // 2^31 - 1, which is FLOW_CONTROL_ERROR (4.1), whether or not the stream is open.
        guard increment <= Frame.maxWindowIncrement else {
            throw ZTPError(.flowControl, .flowControlError, "WINDOW_UPDATE of \(increment) on stream \(header.streamID)")
        }
        return .windowUpdate(stream: header.streamID, increment: increment)
    }

    /// The plaintext payload this frame carries.
    public var plaintext: [UInt8] {
        switch self {
        case .handshakeInit(let bytes), .handshakeAck(let bytes), .data(_, let bytes), .clientHello(let bytes),
             .ping(let bytes), .pong(let bytes):
            return bytes
        case .close(_, let code, let reason):
            var out = [UInt8]()
            out.appendBigEndian(code.rawValue)
            out.append(contentsOf: reason.prefix(Frame.maxCloseReasonBytes))
            return out
        case .serverHello(let e, let s, let sig): return e + s + sig
        case .windowUpdate(_, let increment):
            var out = [UInt8]()
            out.appendBigEndian(increment)
            return out
        case .keyUpdate: return []
        }
    }

    /// Calls `body` with the plaintext payload. A WINDOW_UPDATE's four bytes are written on the
    /// stack, since it is the one frame steady traffic makes besides DATA; the others use
    /// `plaintext`.
    func withPlaintext<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .windowUpdate(_, let increment):
            return withUnsafeBytes(of: increment.bigEndian) { body($0) }
        case .data(_, let bytes), .ping(let bytes), .pong(let bytes):
            return bytes.withUnsafeBytes { body($0) }
        default:
            return plaintext.withUnsafeBytes { body($0) }
        }
    }

    /// A CLOSE reason cut to 256 bytes on a UTF-8 character boundary.
    public static func closeReason(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        guard bytes.count > maxCloseReasonBytes else { return bytes }
        var end = maxCloseReasonBytes
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        bytes.removeSubrange(end...)
        return bytes
    }
}
