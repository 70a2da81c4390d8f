import NIOCore
import Testing
@testable import ZTPCore

/// DATA payloads are slices of the connection's receive buffer, and frames are opened where
/// they lie in it: what a payload holds must not change whatever the connection does next.
@Suite("Receive buffer: frames opened in place, payloads as slices")
struct ReceiveBufferTests {
    /// Messages of distinct sizes and contents, so that a payload showing another's bytes fails.
    private static let messages: [[UInt8]] = (0..<40).map { index in
        [UInt8](repeating: UInt8(index), count: 1 + index * 97)
    }

    /// The client's DATA frames for `messages` on stream 1, sealed back to back.
    private static func sealed(_ pump: inout Pump) -> [UInt8] {
        for message in messages { #expect(pump.client.sendData(stream: 1, payload: message, now: pump.now) == .sent) }
        return pump.client.takeOutbound()
    }

    @Test("many frames in one read: each payload stays intact while the later frames of the read are opened")
    func oneRead() throws {
        var pump = try Pump.established()
        let bytes = Self.sealed(&pump)
        var events: [ConnectionEvent] = []
        bytes.withUnsafeBytes { pump.server.receive($0, now: pump.now, into: &events) }
        let payloads = events.compactMap { event -> [UInt8]? in
            if case .data(1, let payload) = event { return Array(buffer: payload) }
            return nil
        }
        #expect(payloads == Self.messages)
    }

    @Test("payloads held across later reads keep their bytes; the next read goes to other storage")
    func heldAcrossReads() throws {
        var pump = try Pump.established()
        let bytes = Self.sealed(&pump)
        // Split mid-frame, so that later reads both complete a held frame's neighbour and
        // compact the buffer.
        var held: [ByteBuffer] = []
        var offset = 0
        var step = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            var events: [ConnectionEvent] = []
            bytes[offset..<end].withUnsafeBytes { pump.server.receive($0, now: pump.now, into: &events) }
            for case .data(1, let payload) in events { held.append(payload) }
            offset = end
            step = step * 3 + 1
        }
        #expect(held.map { Array(buffer: $0) } == Self.messages)
    }

    @Test("a frame that fails to open delivers nothing of itself; what came before it in the read is intact")
    func tamperedInRead() throws {
        var pump = try Pump.established()
        var bytes = Self.sealed(&pump)
        // The tenth frame's last payload byte.
        let frameSizes = Self.messages.map { FrameSealer.sealedSize(plaintextCount: $0.count) }
        let tenthEnd = frameSizes.prefix(10).reduce(0, +)
        bytes[tenthEnd - ChaChaPoly.tagCount - 1] ^= 0x01
        var events: [ConnectionEvent] = []
        bytes.withUnsafeBytes { pump.server.receive($0, now: pump.now, into: &events) }
        let payloads = events.compactMap { event -> [UInt8]? in
            if case .data(1, let payload) = event { return Array(buffer: payload) }
            return nil
        }
        #expect(payloads == Array(Self.messages.prefix(9)))
        guard case .closed(.protocolError(let error)) = events.last else {
            Issue.record("expected the session to close, got \(String(describing: events.last))")
            return
        }
        #expect(error.kind == .decryptFailed)
    }
}
