/// The ten frame types of ZTP/1 (section 2), with the rules that depend only on the type.
public enum FrameType: UInt16, Sendable, CaseIterable {
    case handshakeInit = 0x0001
    case handshakeAck = 0x0002
    case data = 0x0003
    case close = 0x0004
    case clientHello = 0x0005
    case serverHello = 0x0006
    case ping = 0x0007
    case pong = 0x0008
    case windowUpdate = 0x0009
    case keyUpdate = 0x000A

    /// Which side may send it.
    public enum Sender: Sendable { case client, server, both }

    public var sender: Sender {
        switch self {
        case .handshakeInit, .clientHello: return .client
        case .handshakeAck, .serverHello: return .server
        case .data, .close, .ping, .pong, .windowUpdate, .keyUpdate: return .both
        }
    }

    /// The hellos travel in the clear; everything else is sealed (section 2.1).
    public var isEncrypted: Bool {
        self != .clientHello && self != .serverHello
    }

    /// Allowed plaintext sizes (section 2). For encrypted frames the wire length adds the tag.
    public var plaintextLimits: ClosedRange<Int> {
        switch self {
        case .clientHello: return 32...32
        case .serverHello: return 128...128
        case .handshakeInit: return 1...4096
        case .handshakeAck: return 2...4096
        case .data: return 0...FrameType.maxDataPayload
        case .close: return 2...258
        case .ping, .pong: return 8...8
        case .windowUpdate: return 4...4
        case .keyUpdate: return 0...0
        }
    }

    /// Allowed values of the header's `length` field.
    public var wireLengthLimits: ClosedRange<Int> {
        let tag = isEncrypted ? ChaChaPoly.tagCount : 0
        return (plaintextLimits.lowerBound + tag)...(plaintextLimits.upperBound + tag)
    }

    /// Whether this type belongs on `streamID`: session frames on 0, stream frames on 1...2^31-1,
    /// CLOSE on either.
    public func allows(streamID: UInt32) -> Bool {
        switch self {
        case .data, .windowUpdate: return streamID >= 1 && streamID <= FrameType.maxStreamID
        case .close: return streamID <= FrameType.maxStreamID
        case .handshakeInit, .handshakeAck, .clientHello, .serverHello, .ping, .pong, .keyUpdate: return streamID == 0
        }
    }

    public static let maxStreamID: UInt32 = 0x7FFF_FFFF
    /// `max_frame`: the largest DATA plaintext, fixed at 65,536 in ZTP/1.
    public static let maxDataPayload = 65_536
    /// The largest frame on the wire: a full DATA frame.
    public static let maxFrameSize = FrameHeader.size + maxDataPayload + ChaChaPoly.tagCount
}
