import FuzzSupport
import ZTPCore

/// The session key the frame seeds are sealed under.
private let frameKey = SecretBytes([UInt8](repeating: 0x44, count: 32))

/// The frame decoder alone, followed by the frame opener on every sealed frame it returns.
/// Input: one control byte (bit 0: whose frames, bits 1-3: read size), then the wire bytes.
///
/// Invariants: the decoder holds at most one frame plus one read; each frame it returns has a
/// header that parses to what it reported, a length within its type's limits and exactly its
/// bytes, in input order; once it fails it keeps failing; and a frame opens only if it is
/// exactly what sealing its plaintext at that sequence produces (so a frame that fails to
/// authenticate never yields plaintext, and nothing else does either).
let frameDecoderTarget = FuzzTarget(name: "frame-decoder", seeds: frameSeeds, run: { data in
    var input = FuzzInput(data)
    let control = input.byte()
    let sender: Role = control & 1 == 0 ? .client : .server
    let chunk = [1, 3, 24, 25, 100, 4096, 70_000, Int.max][Int(control >> 1 & 7)]
    let wire = input.rest()

    var decoder = FrameDecoder(sender: sender)
    var opener = FrameOpener(key: frameKey)
    var sealer = FrameSealer(key: frameKey)
    var openerFailed = false
    var consumed = 0
    var appended = 0
    var frames = 0
    var failure: ZTPError?

    while appended < wire.count {
        // Reads come in the control byte's size for the first 16 frames, then in at least 4 KiB:
        // every state between two frames is met within a few frames, and an input of a thousand
        // small frames read a byte at a time was most of the target's time. While a frame's
        // payload is awaited, the read stops one byte short of the frame's end, so the boundary
        // comes on a read of its own but the middle of a 64 KiB frame in one. Once the decoder
        // has failed, the rest comes in one read: one is enough to see that it keeps failing.
        let step = frames < smallReadFrames ? chunk : max(chunk, 4096)
        var size = failure == nil ? step : wire.count - appended
        if failure == nil, let awaited = awaitedBytes(wire, consumed: consumed, appended: appended, sender: sender),
           awaited - 1 > step {
            size = awaited - 1
        }
        let end = min(wire.count, appended + min(size, wire.count - appended))
        let read = UnsafeRawBufferPointer(rebasing: wire[appended..<end])
        decoder.append(read)
        appended = end
        if failure == nil {
            invariant(decoder.bufferedCount <= FrameType.maxFrameSize + read.count,
                      "decoder holds \(decoder.bufferedCount) bytes after a read of \(read.count)")
        }
        while true {
            let frame: FrameDecoder.RawFrame?
            do throws(ZTPError) {
                frame = try decoder.next()
            } catch {
                if let failure { invariant(error == failure, "the decoder's error changed") }
                failure = error
                break
            }
            invariant(failure == nil, "a frame after the decoder failed")
            guard let frame else { break }
            check(frame, sender: sender, wire: wire, at: consumed)
            consumed += frame.bytes.count
            frames += 1
            invariant(consumed + decoder.bufferedCount == appended, "bytes lost or invented")
            guard frame.header.type.isEncrypted, !openerFailed else { continue }
            let before = sealer.sequence
            do throws(ZTPError) {
                let plaintext = try opener.open(frame)
                var resealed: [UInt8] = []
                sealer.seal(type: frame.header.type, streamID: frame.header.streamID,
                            plaintext: plaintext.withUnsafeBytes { UnsafeRawBufferPointer($0) }, appendingTo: &resealed)
                invariant(sameBytes(resealed, frame.bytes), "a frame opened that is not the sealing of its plaintext")
                invariant(plaintext.count == Int(frame.header.length) - 16, "plaintext of the wrong size")
            } catch {
                invariant(sealer.sequence == before, "sealer moved")
                // The opener's counter stays where it was, so later frames would all fail too.
                openerFailed = true
            }
        }
    }
})

/// How many frames are read in the control byte's read size when that is small.
private let smallReadFrames = 16

/// Bytes still missing of the frame that starts at `consumed`, when its header is in and valid.
private func awaitedBytes(_ wire: UnsafeRawBufferPointer, consumed: Int, appended: Int, sender: Role) -> Int? {
    guard appended - consumed >= FrameHeader.size else { return nil }
    let headerBytes = UnsafeRawBufferPointer(rebasing: wire[consumed..<(consumed + FrameHeader.size)])
    let header: FrameHeader
    do throws(ZTPError) { header = try FrameHeader.parse(headerBytes, sentBy: sender) } catch { return nil }
    return consumed + FrameHeader.size + Int(header.length) - appended
}

private func check(_ frame: FrameDecoder.RawFrame, sender: Role, wire: UnsafeRawBufferPointer, at offset: Int) {
    let header = frame.header
    invariant(frame.bytes.count == FrameHeader.size + Int(header.length), "frame size differs from its length field")
    invariant(sameBytes(frame.bytes, UnsafeRawBufferPointer(rebasing: wire[offset..<(offset + frame.bytes.count)])), "frame bytes are not the input's")
    let reparsed = frame.bytes.prefix(FrameHeader.size).withUnsafeBytes { bytes -> FrameHeader? in
        do throws(ZTPError) { return try FrameHeader.parse(bytes, sentBy: sender) } catch { return nil }
    }
    invariant(reparsed == header, "header does not reparse to what was returned")
    invariant(header.type.wireLengthLimits.contains(Int(header.length)), "length \(header.length) outside \(header.type)'s limits")
    invariant(header.type.allows(streamID: header.streamID), "\(header.type) on stream \(header.streamID)")
    switch header.type.sender {
    case .both: break
    case .client: invariant(sender == .client, "\(header.type) from the server")
    case .server: invariant(sender == .server, "\(header.type) from the client")
    }
}

/// Sealed frames of every type under `frameKey`, in order, plus the sessions' real streams.
@Sendable private func frameSeeds() -> [[UInt8]] {
    var sealer = FrameSealer(key: frameKey)
    var frames: [UInt8] = []
    let sequence: [Frame] = [
        .handshakeInit(token: Fixtures.token()),
        .data(stream: 1, payload: pattern(10)),
        .ping(opaque: pattern(8)),
        .pong(opaque: pattern(8)),
        .windowUpdate(stream: 1, increment: 1000),
        .close(stream: 1, code: .normal, reason: Array("done".utf8)),
        .keyUpdate,
        .data(stream: 2, payload: pattern(300)),
        .data(stream: 2, payload: []),
        .close(stream: 0, code: .normal, reason: []),
    ]
    for frame in sequence { sealer.seal(frame, appendingTo: &frames) }
    var big: [UInt8] = []
    var bigSealer = FrameSealer(key: frameKey)
    bigSealer.seal(.data(stream: 1, payload: pattern(FrameType.maxDataPayload)), appendingTo: &big)
    let sessions = seedSessions()
    return [[0] + frames, [0b0000_0110] + frames, [0b0000_1010] + big]
        + sessions.prefix(4).map { [0] + $0.clientToServer }
        + sessions.prefix(4).map { [1] + $0.serverToClient }
}
