import NIOCore
import Testing
import ZTPClient
import ZTPCore

/// Raw-socket clients that finish a real handshake and then misbehave are cut off (the server
/// closes TCP), while another session on the same server carries on (sections 2.0 and 2.1).
@Suite("Hostile frames")
struct HostileFrameTests {
    enum Misbehaviour: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case replayed, reordered, tamperedCiphertext, tamperedHeader, droppedFrame, oversizeLength, garbage
        case garbageFrameAtExpectedSequence, badVersionBeforeHandshake

        var testDescription: String { rawValue }

        /// Whether section 2.0 lets the server say why (CLOSE with PROTOCOL_ERROR) before it
        /// closes TCP. Nonce mismatches, frames that fail to open and bad versions are silent.
        var expectsProtocolErrorClose: Bool { self == .oversizeLength }
    }

    @Test("a misbehaving raw client is cut off; another session still gets its ping answered", arguments: Misbehaviour.allCases)
    func cutOff(_ misbehaviour: Misbehaviour) async throws {
        try await withServer { server in
            let bystander = try await Participant.join(server, "bystander", chat: false)
            if misbehaviour == .badVersionBeforeHandshake {
                let raw = try await RawConnection.connect(port: server.port)
                var hello = FrameHeader(type: .clientHello, streamID: 0, sequence: 0, length: 32).bytes + [UInt8](repeating: 9, count: 32)
                hello[1] = 2
                try await raw.send(hello)
                #expect(await raw.waitForClose(within: .seconds(5)), "the connection is closed")
                #expect(raw.take().isEmpty, "nothing is sent before the server has a key")
            } else {
                let session = try await RawSession.open(server)
                #expect(try await session.request("ping") == "pong", "the raw session works before it misbehaves")
                let sentBeforeMisbehaving = session.raw.take()
                #expect(sentBeforeMisbehaving.isEmpty)
                try await misbehave(misbehaviour, session)
                #expect(await session.raw.waitForClose(within: .seconds(5)), "the server closes the connection")
                let events = session.pump()
                if misbehaviour.expectsProtocolErrorClose {
                    let saidWhy = events.contains { if case .closed(.peerClosed(.protocolError, _)) = $0 { true } else { false } }
                    #expect(saidWhy, "CLOSE(0, PROTOCOL_ERROR) before the TCP close; got \(events)")
                } else {
                    #expect(events.isEmpty, "closed without a word; got \(events)")
                }
            }
            #expect(try await bystander.request("ping") == "pong")
            #expect(try await bystander.request("whoami") == "bystander user")
        }
    }

    private func misbehave(_ misbehaviour: Misbehaviour, _ session: RawSession) async throws {
        switch misbehaviour {
        case .replayed:
            let frame = try session.sealData("echo once", on: 2)
            try await session.send(frame)
            _ = try await session.waitFor("echo reply", within: .seconds(5)) { $0 == .data(stream: 2, payload: ByteBuffer(string: "once")) }
            await session.raw.sendIgnoringErrors(frame)
        case .reordered:
            let first = try session.sealData("echo first", on: 2)
            let second = try session.sealData("echo second", on: 2)
            await session.raw.sendIgnoringErrors(second + first)
        case .droppedFrame:
            _ = try session.sealData("echo never sent", on: 2)
            let next = try session.sealData("echo after a gap", on: 2)
            await session.raw.sendIgnoringErrors(next)
        case .tamperedCiphertext:
            var frame = try session.sealData("echo tampered", on: 2)
            frame[FrameHeader.size + 2] ^= 0x01
            await session.raw.sendIgnoringErrors(frame)
        case .tamperedHeader:
            // The header is the AEAD's associated data: moving the frame to stream 1 breaks it.
            var frame = try session.sealData("echo moved", on: 2)
            frame[7] = 1
            await session.raw.sendIgnoringErrors(frame)
        case .oversizeLength:
            // A DATA header one byte over the limit, at the right sequence number; no payload
            // follows, so the server must decide on the header alone.
            let probe = try session.sealData("unused", on: 2)
            let sequence = probe[12..<20].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let header = FrameHeader(type: .data, streamID: 2, sequence: sequence,
                                     length: UInt32(FrameType.maxDataPayload + 16 + 1))
            await session.raw.sendIgnoringErrors(header.bytes)
        case .garbage:
            var garbage: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
            for index in 0..<60 { garbage.append(UInt8(truncatingIfNeeded: index &* 37 &+ 11)) }
            await session.raw.sendIgnoringErrors(garbage)
        case .garbageFrameAtExpectedSequence:
            // A well-formed header for the next sequence number, followed by random bytes.
            let probe = try session.sealData("abcdefgh", on: 2)
            var forged = Array(probe[0..<FrameHeader.size])
            forged += (0..<(probe.count - FrameHeader.size)).map { UInt8(truncatingIfNeeded: $0 &* 91 &+ 7) }
            await session.raw.sendIgnoringErrors(forged)
        case .badVersionBeforeHandshake:
            preconditionFailure("handled without a session")
        }
    }
}
