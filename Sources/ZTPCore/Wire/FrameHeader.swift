/// The 24-byte frame header (ZTP-1 section 2):
/// `version u16 | type u16 | stream_id u32 | nonce 12 bytes | length u32`.
///
/// A header value only exists once it has passed every check that the header alone allows:
/// version, type, stream, sending side, length limit and the hellos' zero nonce.
public struct FrameHeader: Equatable, Sendable {
    public static let size = 24
    public static let version: UInt16 = 1

    public var type: FrameType
    public var streamID: UInt32
    /// The nonce's first four bytes; ZTP/1 requires zero.
    public var noncePrefix: UInt32
    /// The nonce's last eight bytes: the sender's frame counter (`seq`).
    public var sequence: UInt64
    public var length: UInt32

    public init(type: FrameType, streamID: UInt32, noncePrefix: UInt32 = 0, sequence: UInt64, length: UInt32) {
        self.type = type
        self.streamID = streamID
        self.noncePrefix = noncePrefix
        self.sequence = sequence
        self.length = length
    }

    /// Parses and checks a header sent by `sender`. `bytes` must hold at least 24 bytes.
    ///
    /// "The header is checked (version, type, stream, length limit) before the nonce and before
    /// anything is decrypted" (section 2.0), so a frame is refused here before its payload is
    /// buffered.
    public static func parse(_ bytes: UnsafeRawBufferPointer, sentBy sender: Role) throws(ZTPError) -> FrameHeader {
        precondition(bytes.count >= size, "parse needs a whole header")
        let version = bytes.readUInt16(at: 0)
        guard version == FrameHeader.version else {
            throw ZTPError(.badVersion, .protocolError, "version \(version)")
        }
        let rawType = bytes.readUInt16(at: 2)
        guard let type = FrameType(rawValue: rawType) else {
            throw .protocolError(.unknownFrameType, "frame type \(rawType)")
        }
        let streamID = bytes.readUInt32(at: 4)
        guard type.allows(streamID: streamID) else {
            throw .protocolError(.wrongStream, "\(type) on stream \(streamID)")
        }
        switch (type.sender, sender) {
        case (.both, _), (.client, .client), (.server, .server): break
        case (.client, .server), (.server, .client):
            throw .protocolError(.wrongSide, "\(type) sent by the \(sender)")
        }
        let length = bytes.readUInt32(at: 20)
        guard type.wireLengthLimits.contains(Int(length)) else {
            throw .protocolError(.lengthLimit, "\(type) of length \(length)")
        }
        let header = FrameHeader(type: type, streamID: streamID, noncePrefix: bytes.readUInt32(at: 8),
                                 sequence: bytes.readUInt64(at: 12), length: length)
        // "CLIENT_HELLO and SERVER_HELLO carry stream 0 and an all-zero nonce."
        if !type.isEncrypted, header.noncePrefix != 0 || header.sequence != 0 {
            throw .protocolError(.helloNonce, "\(type) with a non-zero nonce")
        }
        return header
    }

    /// Writes the 24 header bytes at the start of `out`.
    public func write(to out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= FrameHeader.size)
        out.write(FrameHeader.version, at: 0)
        out.write(type.rawValue, at: 2)
        out.write(streamID, at: 4)
        out.write(noncePrefix, at: 8)
        out.write(sequence, at: 12)
        out.write(length, at: 20)
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: FrameHeader.size)
        out.withUnsafeMutableBytes { write(to: $0) }
        return out
    }
}

/// Which end of a connection.
public enum Role: String, Sendable {
    case client, server
}
