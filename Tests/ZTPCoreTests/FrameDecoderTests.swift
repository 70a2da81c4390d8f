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

    @Test("a header over its limit is refused on its 24 bytes, before any payload arrives")
    func limitOnHeaderAlone() {
        // DATA announcing 65,553 bytes, HANDSHAKE_INIT announcing a 4097-byte token.
        for header in [rawHeader(type: 3, stream: 1, length: 65_553), rawHeader(type: 1, length: 4097 + 16),
                       rawHeader(type: 4, stream: 1, length: 17), rawHeader(type: 10, length: 17)] {
            var decoder = FrameDecoder(sender: .client)
            decoder.append(Array(header[..<23]))
            #expect(throws: Never.self) { _ = try decoder.next() }
            decoder.append([header[23]])
            #expect(throws: ZTPError.self) { _ = try decoder.next() }
            #expect(decoder.bufferedCount == 24, "none of the payload was waited for")
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
