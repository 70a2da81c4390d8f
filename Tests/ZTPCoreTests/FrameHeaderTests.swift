import Testing
@testable import ZTPCore

/// The header rules of ZTP-1 section 2, checked on the 24 header bytes alone.
@Suite("Frame header (section 2)")
struct FrameHeaderTests {
    private func parse(_ bytes: [UInt8], sentBy sender: Role) -> Result<FrameHeader, ZTPError> {
        bytes.withUnsafeBytes { b in
            do throws(ZTPError) { return .success(try FrameHeader.parse(b, sentBy: sender)) } catch { return .failure(error) }
        }
    }

    private func kind(_ bytes: [UInt8], sentBy sender: Role) -> ZTPError.Kind? {
        if case .failure(let error) = parse(bytes, sentBy: sender) { return error.kind }
        return nil
    }

    /// A side that may send each type.
    private static func sender(of type: FrameType) -> Role {
        type.sender == .server ? .server : .client
    }

    private static func stream(for type: FrameType) -> UInt32 {
        type == .data || type == .windowUpdate ? 1 : 0
    }

    /// Wire lengths from the table in section 2: plaintext limits, +16 when encrypted.
    static let limits: [(FrameType, ClosedRange<UInt32>)] = [
        (.clientHello, 32...32), (.serverHello, 128...128), (.handshakeInit, 17...4112), (.handshakeAck, 18...4112),
        (.data, 16...65_552), (.close, 18...274), (.ping, 24...24), (.pong, 24...24), (.windowUpdate, 20...20),
        (.keyUpdate, 16...16),
    ]

    @Test("writing then parsing a header gives it back, field by field", arguments: FrameType.allCases)
    func roundTrip(type: FrameType) throws {
        let length = UInt32(type.wireLengthLimits.upperBound)
        let header = FrameHeader(type: type, streamID: Self.stream(for: type), sequence: type.isEncrypted ? 0x0102_0304_0506_0708 : 0,
                                 length: length)
        let bytes = header.bytes
        #expect(bytes.count == 24)
        #expect(Array(bytes[0..<2]) == [0, 1])
        #expect(Array(bytes[2..<4]) == [0, UInt8(type.rawValue)])
        #expect(try parse(bytes, sentBy: Self.sender(of: type)).get() == header)
    }

    @Test("each type's length limit: the bounds pass, one below and one above fail", arguments: limits)
    func lengthLimits(type: FrameType, range: ClosedRange<UInt32>) {
        #expect(type.wireLengthLimits == Int(range.lowerBound)...Int(range.upperBound))
        let sender = Self.sender(of: type)
        func header(_ length: UInt32) -> [UInt8] {
            rawHeader(type: type.rawValue, stream: Self.stream(for: type), length: length)
        }
        #expect(kind(header(range.lowerBound), sentBy: sender) == nil)
        #expect(kind(header(range.upperBound), sentBy: sender) == nil)
        if range.lowerBound > 0 {
            #expect(kind(header(range.lowerBound - 1), sentBy: sender) == .lengthLimit)
        }
        #expect(kind(header(range.upperBound + 1), sentBy: sender) == .lengthLimit)
        #expect(kind(header(0), sentBy: sender) == .lengthLimit)
        #expect(kind(header(.max), sentBy: sender) == .lengthLimit)
        if case .failure(let error) = parse(header(range.upperBound + 1), sentBy: sender) {
            #expect(error.code == .protocolError)
            #expect(!error.alwaysSilent, "a length error after keys gets CLOSE(PROTOCOL_ERROR)")
        }
    }

    @Test("a version other than 1 is refused first, and silently", arguments: [UInt16(0), 2, 0x0100, 0xFFFF])
    func badVersion(version: UInt16) throws {
        let bytes = rawHeader(version: version, type: 0xFFFF, stream: 0xFFFF_FFFF, length: .max)
        let error = try #require(parse(bytes, sentBy: .client).failureValue)
        #expect(error.kind == .badVersion)
        #expect(error.alwaysSilent)
    }

    @Test("an unknown type is a protocol error", arguments: [UInt16(0), 0x000B, 0x0100, 0xFFFF])
    func unknownType(type: UInt16) {
        #expect(kind(rawHeader(type: type, stream: 0, length: 24), sentBy: .client) == .unknownFrameType)
        #expect(kind(rawHeader(type: type, stream: 0, length: 24), sentBy: .server) == .unknownFrameType)
    }

    @Test("stream rules: session frames on 0 only, DATA and WINDOW_UPDATE on 1...2^31-1, CLOSE on 0...2^31-1")
    func wrongStream() {
        // DATA on 0, PING on 3, and ids above 2^31 - 1.
        #expect(kind(rawHeader(type: 3, stream: 0, length: 20), sentBy: .client) == .wrongStream)
        #expect(kind(rawHeader(type: 7, stream: 3, length: 24), sentBy: .client) == .wrongStream)
        #expect(kind(rawHeader(type: 3, stream: 0x8000_0000, length: 20), sentBy: .client) == .wrongStream)
        #expect(kind(rawHeader(type: 3, stream: 0xFFFF_FFFF, length: 20), sentBy: .server) == .wrongStream)
        #expect(kind(rawHeader(type: 3, stream: 0x7FFF_FFFF, length: 20), sentBy: .client) == nil)
        #expect(kind(rawHeader(type: 9, stream: 0, length: 20), sentBy: .client) == .wrongStream)
        #expect(kind(rawHeader(type: 9, stream: 0x8000_0000, length: 20), sentBy: .client) == .wrongStream)
        #expect(kind(rawHeader(type: 4, stream: 0x8000_0000, length: 18), sentBy: .client) == .wrongStream)
        #expect(kind(rawHeader(type: 4, stream: 0, length: 18), sentBy: .client) == nil)
        #expect(kind(rawHeader(type: 4, stream: 0x7FFF_FFFF, length: 18), sentBy: .server) == nil)
        for type in [FrameType.handshakeInit, .handshakeAck, .clientHello, .serverHello, .ping, .pong, .keyUpdate] {
            let length = UInt32(type.wireLengthLimits.lowerBound)
            #expect(kind(rawHeader(type: type.rawValue, stream: 1, length: length), sentBy: Self.sender(of: type)) == .wrongStream)
            #expect(kind(rawHeader(type: type.rawValue, stream: 0, length: length), sentBy: Self.sender(of: type)) == nil)
        }
    }

    @Test("server-only types from the client and client-only types from the server are refused")
    func wrongSide() {
        for type in FrameType.allCases {
            let header = rawHeader(type: type.rawValue, stream: Self.stream(for: type), length: UInt32(type.wireLengthLimits.lowerBound))
            switch type.sender {
            case .client:
                #expect(kind(header, sentBy: .server) == .wrongSide, "\(type)")
                #expect(kind(header, sentBy: .client) == nil, "\(type)")
            case .server:
                #expect(kind(header, sentBy: .client) == .wrongSide, "\(type)")
                #expect(kind(header, sentBy: .server) == nil, "\(type)")
            case .both:
                #expect(kind(header, sentBy: .client) == nil, "\(type)")
                #expect(kind(header, sentBy: .server) == nil, "\(type)")
            }
        }
        #expect(FrameType.handshakeInit.sender == .client && FrameType.clientHello.sender == .client)
        #expect(FrameType.handshakeAck.sender == .server && FrameType.serverHello.sender == .server)
    }

    @Test("hellos with any non-zero nonce byte are refused; encrypted frames may carry any counter")
    func helloNonce() {
        for (type, sender, length) in [(UInt16(5), Role.client, UInt32(32)), (6, .server, 128)] {
            #expect(kind(rawHeader(type: type, length: length), sentBy: sender) == nil)
            #expect(kind(rawHeader(type: type, seq: 1, length: length), sentBy: sender) == .helloNonce)
            #expect(kind(rawHeader(type: type, noncePrefix: 1, length: length), sentBy: sender) == .helloNonce)
            #expect(kind(rawHeader(type: type, noncePrefix: 0x8000_0000, length: length), sentBy: sender) == .helloNonce)
            #expect(kind(rawHeader(type: type, seq: 1 << 63, length: length), sentBy: sender) == .helloNonce)
        }
        // The nonce of an encrypted frame is the opener's business (a mismatch is silent).
        #expect(kind(rawHeader(type: 7, noncePrefix: 1, seq: 99, length: 24), sentBy: .client) == nil)
    }

    @Test("the header is checked in order: version, type, stream, side, length, then the hello nonce")
    func checkOrder() {
        // Each header breaks its own rule and every later one.
        #expect(kind(rawHeader(version: 2, type: 0xFF, stream: 9, length: 0), sentBy: .client) == .badVersion)
        #expect(kind(rawHeader(type: 0xFF, stream: 9, length: 0), sentBy: .client) == .unknownFrameType)
        #expect(kind(rawHeader(type: 6, stream: 9, seq: 1, length: 0), sentBy: .client) == .wrongStream)
        #expect(kind(rawHeader(type: 6, stream: 0, seq: 1, length: 0), sentBy: .client) == .wrongSide)
        #expect(kind(rawHeader(type: 5, stream: 0, seq: 1, length: 0), sentBy: .client) == .lengthLimit)
        #expect(kind(rawHeader(type: 5, stream: 0, seq: 1, length: 32), sentBy: .client) == .helloNonce)
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
