import Testing
@testable import ZTPCore

/// The decoder: whole frames out of a byte stream, each header checked before its payload.
@Suite("Frame decoder (section 2)")
struct FrameDecoderTests {
    /// Every frame of the vector's session, per direction, in order.
    private static func vectorStreams() throws -> (c2s: [[UInt8]], s2c: [[UInt8]]) {
        let v = try ZTP1Vector.load()
        return (v.frames.filter { $0.direction == "c2s" }.map { hex($0.frame) },
                v.frames.filter { $0.direction == "s2c" }.map { hex($0.frame) })
    }

    private func drain(_ decoder: inout FrameDecoder) throws(ZTPError) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        while let frame = try decoder.next() { frames.append(Array(frame.bytes)) }
        return frames
    }

    @Test("a whole stream appended at once gives every frame, with its checked header")
    func wholeStream() throws {
        let (c2s, s2c) = try Self.vectorStreams()
        for (sender, frames) in [(Role.client, c2s), (.server, s2c)] {
            var decoder = FrameDecoder(sender: sender)
            decoder.append(frames.flatMap { $0 })
            var out: [FrameDecoder.RawFrame] = []
            while let frame = try decoder.next() { out.append(frame) }
            #expect(out.map { Array($0.bytes) } == frames)
            #expect(out.map { Array($0.payload) } == frames.map { Array($0.dropFirst(24)) })
            #expect(out.map(\.header.length) == frames.map { UInt32($0.count - 24) })
            #expect(decoder.bufferedCount == 0)
            #expect(try decoder.next() == nil)
        }
    }

    @Test("fed one byte at a time, the decoder produces the same frames, each on its last byte")
    func byteAtATime() throws {
        let (c2s, s2c) = try Self.vectorStreams()
        for (sender, frames) in [(Role.client, c2s), (.server, s2c)] {
            var decoder = FrameDecoder(sender: sender)
            var out: [[UInt8]] = []
            for frame in frames {
                for (index, byte) in frame.enumerated() {
                    decoder.append([byte])
                    let got = try drain(&decoder)
                    if index == frame.count - 1 {
                        #expect(got == [frame])
                    } else {
                        #expect(got.isEmpty)
                    }
                    out += got
                }
            }
            #expect(out == frames)
        }
    }

    @Test("every strict prefix of a frame decodes as nil, and the rest completes it")
    func everyPrefixIsNil() throws {
        let (c2s, s2c) = try Self.vectorStreams()
        for (sender, frames) in [(Role.client, c2s), (.server, s2c)] {
            for frame in frames {
                for cut in 0..<frame.count {
                    var decoder = FrameDecoder(sender: sender)
                    decoder.append(Array(frame[..<cut]))
                    #expect(try decoder.next() == nil)
                    #expect(decoder.bufferedCount == cut)
                    decoder.append(Array(frame[cut...]))
                    #expect(try drain(&decoder) == [frame])
                }
            }
        }
    }

    @Test("random split points give the same frames")
    func randomChunks() throws {
        let (c2s, _) = try Self.vectorStreams()
        let all = c2s.flatMap { $0 }
        var generator = SplitMix(seed: 7)
        for _ in 0..<50 {
            var decoder = FrameDecoder(sender: .client)
            var out: [[UInt8]] = []
            var index = 0
            while index < all.count {
                let size = Int(generator.next() % 40) + 1
                let end = min(all.count, index + size)
                decoder.append(Array(all[index..<end]))
                out += try drain(&decoder)
                index = end
            }
            #expect(out == c2s)
        }
    }

    @Test("every type's length limit is enforced on the header's 24 bytes, before any payload arrives",
          arguments: FrameHeaderTests.limits)
    func limitOnHeaderAlone(type: FrameType, range: ClosedRange<UInt32>) throws {
        let sender: Role = type.sender == .server ? .server : .client
        let stream: UInt32 = type == .data || type == .windowUpdate ? 1 : 0
        var lengths = [range.upperBound + 1, 0x7FFF_FFFF, .max]
        if range.lowerBound > 0 { lengths.append(range.lowerBound - 1) }
        for length in lengths {
            let header = rawHeader(type: type.rawValue, stream: stream, length: length)
            var decoder = FrameDecoder(sender: sender)
            decoder.append(Array(header[..<23]))
            #expect(throws: Never.self) { _ = try decoder.next() }
            decoder.append([header[23]])
            #expect(throws: ZTPError.self, "\(type) length \(length)") { _ = try decoder.next() }
            #expect(decoder.bufferedCount == 24, "none of the payload was waited for")
        }
        // At the limits the decoder waits for the payload instead.
        for length in [range.lowerBound, range.upperBound] where length > 0 {
            var decoder = FrameDecoder(sender: sender)
            decoder.append(rawHeader(type: type.rawValue, stream: stream, length: length))
            #expect(try decoder.next() == nil)
        }
    }

    @Test("an established server refuses an over-long DATA header at once with CLOSE(PROTOCOL_ERROR)")
    func limitOnHeaderAtConnection() throws {
        var pump = try Pump.established()
        let events = pump.server.receive(rawHeader(type: 3, stream: 1, seq: 1, length: 65_553), now: pump.now)
        #expect(protocolError(in: events)?.kind == .lengthLimit)
        #expect(peerClose(in: pump.client.receive(pump.server.takeOutbound(), now: pump.now)) == .protocolError)
    }

    @Test("random bytes never trap, whatever state they reach")
    func randomInput() throws {
        var generator = SplitMix(seed: 0x5EED)
        let template = try Pump.established()
        for round in 0..<300 {
            let count = Int(generator.next() % 300)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Often give it a plausible header so that later checks are reached too.
            if round % 2 == 0, bytes.count >= 24 {
                bytes[0] = 0; bytes[1] = 1; bytes[2] = 0; bytes[3] = UInt8(1 + round % 10)
                bytes[8...11] = [0, 0, 0, 0]
                bytes[20...22] = [0, 0, 0]
            }
            var fresh = Peers.server()
            _ = fresh.receive(bytes, now: Peers.start)
            var client = Peers.client()
            _ = client.receive(bytes, now: Peers.start)
            var pump = template
            _ = pump.server.receive(bytes, now: pump.now)
            _ = pump.client.receive(bytes, now: pump.now)
        }
    }

    @Test("a single flipped bit anywhere in the client's bytes never yields altered data at the server")
    func bitFlipsNeverDeliverForgeries() throws {
        let v = try ZTP1Vector.load()
        let c2s = v.frames.filter { $0.direction == "c2s" }.flatMap { hex($0.frame) }
        let genuine: [[UInt8]] = [Array("ping".utf8), Array("hello".utf8)]
        for index in stride(from: 0, to: c2s.count, by: 3) {
            var tampered = c2s
            tampered[index] ^= 0x04
            var server = v.server()
            let events = server.receive(tampered, now: v.now)
            var delivered: [[UInt8]] = []
            for case .data(_, let payload) in events { delivered.append(Array(buffer: payload)) }
            // What arrives is the genuine data before the damaged frame, never the damaged one:
            // "hello" is last, so it never arrives.
            #expect(delivered == Array(genuine.prefix(delivered.count)), "byte \(index)")
            #expect(delivered.count < genuine.count, "byte \(index)")
        }
    }

    @Test("after an error the decoder stays failed, whatever comes next")
    func staysFailed() throws {
        let (c2s, _) = try Self.vectorStreams()
        var decoder = FrameDecoder(sender: .client)
        decoder.append(rawHeader(version: 2, type: 3, stream: 1, length: 16))
        var first: ZTPError?
        do throws(ZTPError) { _ = try decoder.next() } catch { first = error }
        #expect(first?.kind == .badVersion)
        decoder.append(c2s[0])
        var second: ZTPError?
        do throws(ZTPError) { _ = try decoder.next() } catch { second = error }
        #expect(second == first)
    }

    @Test("a frame from the wrong side, type or stream is refused on its header")
    func refusedHeaders() {
        let cases: [(Role, [UInt8], ZTPError.Kind)] = [
            (.client, rawHeader(type: 6, length: 128), .wrongSide),     // SERVER_HELLO from the client
            (.server, rawHeader(type: 1, length: 17), .wrongSide),      // HANDSHAKE_INIT from the server
            (.client, rawHeader(type: 0x0B, length: 16), .unknownFrameType),
            (.client, rawHeader(type: 3, stream: 0, length: 16), .wrongStream),
            (.client, rawHeader(type: 5, seq: 1, length: 32), .helloNonce),
        ]
        for (sender, header, expected) in cases {
            var decoder = FrameDecoder(sender: sender)
            decoder.append(header)
            var error: ZTPError?
            do throws(ZTPError) { _ = try decoder.next() } catch let e { error = e }
            #expect(error?.kind == expected)
        }
    }

    @Test("an empty DATA frame and a full 65,536-byte one both decode")
    func extremes() throws {
        var sealer = FrameSealer(key: SecretBytes([UInt8](repeating: 7, count: 32)))
        var bytes: [UInt8] = []
        sealer.seal(.data(stream: 1, payload: []), appendingTo: &bytes)
        sealer.seal(.data(stream: 0x7FFF_FFFF, payload: [UInt8](repeating: 0xAB, count: 65_536)), appendingTo: &bytes)
        var decoder = FrameDecoder(sender: .server)
        decoder.append(bytes)
        let frames = try drain(&decoder)
        #expect(frames.map(\.count) == [40, 65_576])
        #expect(FrameType.maxFrameSize == 65_576)
    }
}

/// A tiny deterministic generator so that "random" splits are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
