import Testing
@testable import ZTPCore

/// Section 2.1: per-direction counters as nonces, the header as AAD, key updates (section 5),
/// and section 2.0's rule that a frame which does not open ends the connection in silence.
@Suite("Session cipher (sections 2.1 and 5)")
struct SessionCipherTests {
    static let key = SecretBytes((1...32).map { UInt8($0) })

    /// Seals `frames` in order and returns each frame's bytes.
    private func seal(_ frames: [Frame], key: SecretBytes = key) -> [[UInt8]] {
        var sealer = FrameSealer(key: key)
        return frames.map { frame in
            var out: [UInt8] = []
            sealer.seal(frame, appendingTo: &out)
            return out
        }
    }

    private func raw(_ bytes: [UInt8], sentBy sender: Role = .client) throws -> FrameDecoder.RawFrame {
        var decoder = FrameDecoder(sender: sender)
        decoder.append(bytes)
        return try #require(try decoder.next())
    }

    private func openError(_ opener: inout FrameOpener, _ bytes: [UInt8]) throws -> ZTPError? {
        let frame = try raw(bytes)
        do throws(ZTPError) { _ = try opener.open(frame) } catch { return error }
        return nil
    }

    private static let threePings: [Frame] = [.ping(opaque: [1, 1, 1, 1, 1, 1, 1, 1]), .ping(opaque: [2, 2, 2, 2, 2, 2, 2, 2]),
                                              .ping(opaque: [3, 3, 3, 3, 3, 3, 3, 3])]

    @Test("the nonce is 0x00000000 || u64(seq), the length counts the tag, and seq counts up from 0")
    func nonceLayout() throws {
        let frames = seal(Self.threePings + [.data(stream: 9, payload: Array("abc".utf8))])
        for (seq, bytes) in frames.enumerated() {
            #expect(Array(bytes[8..<12]) == [0, 0, 0, 0])
            let header = try raw(bytes).header
            #expect(header.sequence == UInt64(seq))
            #expect(Int(header.length) == bytes.count - 24)
        }
        #expect(frames[3].count == 24 + 3 + 16)
        var opener = FrameOpener(key: Self.key)
        for bytes in frames { _ = try opener.open(raw(bytes)) }
        #expect(opener.expectedSequence == 4)
    }

    @Test("a skipped counter is refused before decryption, and the opener does not move")
    func skipped() throws {
        let frames = seal(Self.threePings)
        var opener = FrameOpener(key: Self.key)
        #expect(try openError(&opener, frames[1])?.kind == .nonceMismatch)
        #expect(opener.expectedSequence == 0)
        #expect(try openError(&opener, frames[0]) == nil)
    }

    @Test("a repeated frame (replay) is refused")
    func replayed() throws {
        let frames = seal(Self.threePings)
        var opener = FrameOpener(key: Self.key)
        #expect(try openError(&opener, frames[0]) == nil)
        #expect(try openError(&opener, frames[0])?.kind == .nonceMismatch)
        #expect(try openError(&opener, frames[1]) == nil)
        #expect(try openError(&opener, frames[1])?.kind == .nonceMismatch)
    }

    @Test("reordered frames are refused")
    func reordered() throws {
        let frames = seal(Self.threePings)
        var opener = FrameOpener(key: Self.key)
        #expect(try openError(&opener, frames[0]) == nil)
        #expect(try openError(&opener, frames[2])?.kind == .nonceMismatch)
    }

    @Test("a non-zero nonce prefix is a mismatch even with the right counter")
    func noncePrefix() throws {
        var bytes = seal(Self.threePings)[0]
        bytes[8] = 0x80
        var opener = FrameOpener(key: Self.key)
        #expect(try openError(&opener, bytes)?.kind == .nonceMismatch)
    }

    @Test("any single flipped bit in ciphertext or tag fails to open, and no plaintext is released")
    func flippedPayloadBits() throws {
        let bytes = seal([.data(stream: 1, payload: Array("attack at dawn".utf8))])[0]
        for index in 24..<bytes.count {
            for bit in [0, 7] {
                var tampered = bytes
                tampered[index] ^= 1 << bit
                var opener = FrameOpener(key: Self.key)
                #expect(try openError(&opener, tampered)?.kind == .decryptFailed, "byte \(index) bit \(bit)")
                #expect(opener.expectedSequence == 0)
            }
        }
    }

    @Test("a flipped bit in the header (the AAD) fails to open when the header still parses")
    func flippedHeaderBits() throws {
        let bytes = seal([.data(stream: 0x0101_0101, payload: Array("attack at dawn".utf8))])[0]
        // Bits of the stream id, each leaving a valid stream: only the AEAD can tell.
        for (index, bit) in [(4, 0), (5, 3), (6, 7), (7, 0), (7, 1)] {
            var tampered = bytes
            tampered[index] ^= 1 << bit
            var opener = FrameOpener(key: Self.key)
            #expect(try openError(&opener, tampered)?.kind == .decryptFailed, "byte \(index) bit \(bit)")
        }
        // Type DATA (3) -> PONG (8) would break PONG's length; DATA <-> CLOSE (4) keeps a legal
        // length: the AEAD still refuses it.
        var retyped = bytes
        retyped[3] = 4
        var opener = FrameOpener(key: Self.key)
        #expect(try openError(&opener, retyped)?.kind == .decryptFailed)
    }

    @Test("the same ciphertext under a header moved to another stream does not open")
    func movedToAnotherStream() throws {
        let bytes = seal([.data(stream: 1, payload: Array("for stream 1".utf8))])[0]
        var moved = bytes
        moved.replaceSubrange(4..<8, with: [0, 0, 0, 2])
        var opener = FrameOpener(key: Self.key)
        #expect(try openError(&opener, moved)?.kind == .decryptFailed)
        #expect(try openError(&opener, bytes) == nil)
    }

    @Test("each direction has its own key: a frame sealed under one does not open under the other")
    func directionKeys() throws {
        let v = try ZTP1Vector.load()
        let c2s = hex(v.frames[4].frame)
        var wrong = FrameOpener(key: SecretBytes(hex(v.k_s2c)))
        #expect(try openError(&wrong, c2s)?.kind == .nonceMismatch, "seq 1 against an opener at 0")
        var sealer = FrameSealer(key: SecretBytes(hex(v.k_c2s)))
        var first: [UInt8] = []
        sealer.seal(.ping(opaque: [0, 0, 0, 0, 0, 0, 0, 0]), appendingTo: &first)
        #expect(try openError(&wrong, first)?.kind == .decryptFailed)
    }

    @Test("KEY_UPDATE: the sender switches after sealing it, the receiver after opening it; seq restarts at 0")
    func keyUpdate() throws {
        var sealer = FrameSealer(key: Self.key)
        var opener = FrameOpener(key: Self.key)
        var bytes: [UInt8] = []
        sealer.seal(.ping(opaque: [UInt8](repeating: 9, count: 8)), appendingTo: &bytes)
        sealer.seal(.keyUpdate, appendingTo: &bytes)
        #expect(sealer.sequence == 0)
        sealer.seal(.data(stream: 1, payload: [1, 2, 3]), appendingTo: &bytes)
        var decoder = FrameDecoder(sender: .client)
        decoder.append(bytes)
        var opened: [[UInt8]] = []
        while let frame = try decoder.next() { opened.append(try opener.open(frame)) }
        #expect(opened == [[UInt8](repeating: 9, count: 8), [], [1, 2, 3]])
        #expect(opener.expectedSequence == 1)

        // The frame after the update is under HKDF-Expand(k_old, "ZTP/1 key update", 32), seq 0.
        let third = Array(bytes.suffix(24 + 3 + 16))
        let next = KeySchedule.nextKey(after: Self.key)
        #expect(ChaChaPoly.open(key: next, nonce: [UInt8](repeating: 0, count: 12), aad: Array(third[0..<24]),
                                sealed: Array(third[24...])) == [1, 2, 3])
        // A receiver that missed the KEY_UPDATE cannot open it (its counter is at 1, then the key differs).
        var stale = FrameOpener(key: Self.key)
        _ = try stale.open(raw(Array(bytes.prefix(48))))
        #expect(try openError(&stale, third)?.kind == .nonceMismatch)
    }

    @Test("the vector's KEY_UPDATE and post-update DATA open with the vector's keys")
    func vectorKeyUpdate() throws {
        let v = try ZTP1Vector.load()
        var opener = FrameOpener(key: SecretBytes(hex(v.k_c2s)))
        let c2s = v.frames.filter { $0.direction == "c2s" && $0.key != nil }
        var plaintexts: [String] = []
        for frame in c2s { plaintexts.append(try opener.open(raw(hex(frame.frame))).hexString) }
        #expect(plaintexts == c2s.map(\.plaintext))
        #expect(opener.expectedSequence == 1)
    }

    // MARK: What the connection does with it (section 2.0)

    @Test("a replayed, skipped or reordered frame closes the receiving connection silently")
    func counterErrorsAreSilent() throws {
        for mode in ["replay", "skip", "reorder"] {
            var pump = try Pump.established()
            #expect(pump.client.sendData(stream: 2, payload: Array("a".utf8), now: pump.now) == .sent)
            let first = pump.client.takeOutbound()
            #expect(pump.client.sendData(stream: 2, payload: Array("b".utf8), now: pump.now) == .sent)
            let second = pump.client.takeOutbound()
            let wire: [UInt8]
            switch mode {
            case "replay": wire = first + first
            case "skip": wire = second
            default: wire = second + first
            }
            let events = pump.server.receive(wire, now: pump.now)
            #expect(protocolError(in: events)?.kind == .nonceMismatch, "\(mode)")
            #expect(pump.server.isClosed)
            #expect(!pump.server.hasOutbound, "\(mode): nothing is sent")
            #expect(pump.server.receive(first, now: pump.now).isEmpty, "a closed connection ignores input")
        }
    }

    @Test("a frame that fails to open closes silently, on both sides")
    func failedOpenIsSilent() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 2, payload: Array("hello".utf8), now: pump.now)
        var bytes = pump.client.takeOutbound()
        bytes[bytes.count - 1] ^= 1
        let events = pump.server.receive(bytes, now: pump.now)
        #expect(protocolError(in: events)?.kind == .decryptFailed)
        #expect(!pump.server.hasOutbound)

        var other = try Pump.established()
        #expect(other.client.sendData(stream: 1, payload: [1], now: other.now) == .sent)
        other.run()
        #expect(other.server.sendData(stream: 1, payload: [1, 2, 3], now: other.now) == .sent)
        var reply = other.server.takeOutbound()
        reply[30] ^= 0x40
        let clientEvents = other.client.receive(reply, now: other.now)
        #expect(protocolError(in: clientEvents)?.kind == .decryptFailed)
        #expect(!other.client.hasOutbound && other.client.isClosed)
    }

    @Test("a DATA header moved to another stream closes the connection silently; nothing is delivered")
    func movedHeaderAtConnection() throws {
        var pump = try Pump.established()
        _ = pump.client.sendData(stream: 1, payload: Array("for chat".utf8), now: pump.now)
        var bytes = pump.client.takeOutbound()
        bytes.replaceSubrange(4..<8, with: [0, 0, 0, 2])
        let events = pump.server.receive(bytes, now: pump.now)
        #expect(events.count == 1)
        #expect(protocolError(in: events)?.kind == .decryptFailed)
        #expect(!pump.server.hasOutbound)
    }

    @Test("a header that breaks a limit is a protocol error with CLOSE even when its nonce is also wrong")
    func headerBeforeNonce() throws {
        var pump = try Pump.established()
        // A PING of 9 bytes at seq 77: the length is judged first.
        let events = pump.server.receive(rawHeader(type: 7, seq: 77, length: 25), now: pump.now)
        #expect(protocolError(in: events)?.kind == .lengthLimit)
        let close = pump.server.takeOutbound()
        #expect(!close.isEmpty)
        #expect(peerClose(in: pump.client.receive(close, now: pump.now)) == .protocolError)
    }

    @Test("a bad version after the handshake is silent too")
    func badVersionIsSilent() throws {
        var pump = try Pump.established()
        let events = pump.server.receive(rawHeader(version: 2, type: 7, seq: 1, length: 24), now: pump.now)
        #expect(protocolError(in: events)?.kind == .badVersion)
        #expect(!pump.server.hasOutbound)
        let clientEvents = pump.client.receive(rawHeader(version: 0, type: 3, stream: 1, seq: 1, length: 16), now: pump.now)
        #expect(protocolError(in: clientEvents)?.kind == .badVersion)
        #expect(!pump.client.hasOutbound)
    }

    @Test("protocol errors after keys send CLOSE(0, PROTOCOL_ERROR), which the peer opens")
    func protocolErrorsSendClose() throws {
        // (header, expected kind), each sent by the client to an established server.
        let cases: [([UInt8], ZTPError.Kind)] = [
            (rawHeader(type: 0x0B, seq: 1, length: 16), .unknownFrameType),
            (rawHeader(type: 3, stream: 0, seq: 1, length: 20), .wrongStream),
            (rawHeader(type: 7, stream: 3, seq: 1, length: 24), .wrongStream),
            (rawHeader(type: 3, stream: 0x8000_0000, seq: 1, length: 20), .wrongStream),
            (rawHeader(type: 2, seq: 1, length: 40), .wrongSide),
            (rawHeader(type: 6, length: 128), .wrongSide),
            (rawHeader(type: 10, seq: 1, length: 17), .lengthLimit),
            (rawHeader(type: 9, stream: 1, seq: 1, length: 21), .lengthLimit),
            (rawHeader(type: 3, stream: 1, seq: 1, length: 65_553), .lengthLimit),
            (rawHeader(type: 5, seq: 1, length: 32), .helloNonce),
        ]
        for (header, kind) in cases {
            var pump = try Pump.established()
            let events = pump.server.receive(header, now: pump.now)
            #expect(protocolError(in: events)?.kind == kind)
            #expect(protocolError(in: events)?.code == .protocolError)
            let close = pump.server.takeOutbound()
            let clientEvents = pump.client.receive(close, now: pump.now)
            #expect(peerClose(in: clientEvents) == .protocolError, "\(kind)")
            #expect(pump.client.isClosed && pump.server.isClosed)
        }
        // And the other way: server-only rules broken by a "server".
        let reverse: [([UInt8], ZTPError.Kind)] = [
            (rawHeader(type: 1, seq: 1, length: 40), .wrongSide),
            (rawHeader(type: 5, length: 32), .wrongSide),
            (rawHeader(type: 8, stream: 5, seq: 1, length: 24), .wrongStream),
        ]
        for (header, kind) in reverse {
            var pump = try Pump.established()
            let events = pump.client.receive(header, now: pump.now)
            #expect(protocolError(in: events)?.kind == kind)
            let close = pump.client.takeOutbound()
            #expect(peerClose(in: pump.server.receive(close, now: pump.now)) == .protocolError, "\(kind)")
        }
    }

    @Test("handshake frames after the handshake are out of place: CLOSE(PROTOCOL_ERROR)")
    func handshakeFramesAfterHandshake() throws {
        var pump = try Pump.established()
        let initAgain = pump.client.forge(.handshakeInit(token: Peers.token()))
        #expect(protocolError(in: pump.server.receive(initAgain, now: pump.now))?.kind == .unexpectedFrame)
        #expect(peerClose(in: pump.client.receive(pump.server.takeOutbound(), now: pump.now)) == .protocolError)

        var other = try Pump.established()
        let ackAgain = other.server.forge(.handshakeAck(parameters: Array("{}".utf8)))
        #expect(protocolError(in: other.client.receive(ackAgain, now: other.now))?.kind == .unexpectedFrame)
        #expect(peerClose(in: other.server.receive(other.client.takeOutbound(), now: other.now)) == .protocolError)

        // A CLIENT_HELLO (valid header, zero nonce) after the handshake.
        var third = try Pump.established()
        let hello = rawHeader(type: 5, length: 32) + [UInt8](repeating: 9, count: 32)
        #expect(protocolError(in: third.server.receive(hello, now: third.now))?.kind == .unexpectedFrame)
        #expect(peerClose(in: third.client.receive(third.server.takeOutbound(), now: third.now)) == .protocolError)
    }

    @Test("a handshake frame after the handshake is refused on its header, even with a wrong nonce")
    func handshakeFrameTypeBeforeNonce() throws {
        var pump = try Pump.established()
        // HANDSHAKE_INIT at seq 50: its type is out of place, which the header shows (section 2.0).
        let events = pump.server.receive(rawHeader(type: 1, seq: 50, length: 17) + [UInt8](repeating: 0, count: 17), now: pump.now)
        #expect(protocolError(in: events)?.kind == .unexpectedFrame)
        #expect(peerClose(in: pump.client.receive(pump.server.takeOutbound(), now: pump.now)) == .protocolError)
    }
}
