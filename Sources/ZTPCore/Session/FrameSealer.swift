import NIOCore

/// The sending half of a session cipher: one key, one counter (ZTP-1 section 2.1).
///
/// `nonce = 0x00000000 || u64(seq)`, `aad = header`, and `seq` counts sealed frames under the
/// current key. Sealing a KEY_UPDATE switches to the next key right after (section 5).
public struct FrameSealer: Sendable {
    private var key: SecretBytes
    public private(set) var sequence: UInt64 = 0

    public init(key: SecretBytes) {
        precondition(key.count == ChaChaPoly.keyCount)
        self.key = key
    }

    /// Bytes a sealed frame with `plaintextCount` bytes of payload takes on the wire.
    public static func sealedSize(plaintextCount: Int) -> Int {
        FrameHeader.size + plaintextCount + ChaChaPoly.tagCount
    }

    /// Seals into `out`, which must be exactly `sealedSize(plaintextCount:)` bytes and already
    /// hold the plaintext at offset 24 (encryption happens in place, no copy).
    public mutating func sealInPlace(type: FrameType, streamID: UInt32, frame out: UnsafeMutableRawBufferPointer) {
        precondition(type.isEncrypted, "hellos are not sealed")
        let plaintextCount = out.count - FrameHeader.size - ChaChaPoly.tagCount
        precondition(plaintextCount >= 0)
        // A counter that wraps would reuse a nonce; key updates happen long before (section 2.1).
        precondition(sequence < UInt64.max, "frame counter exhausted without a key update")
        let header = FrameHeader(type: type, streamID: streamID, sequence: sequence,
                                 length: UInt32(plaintextCount + ChaChaPoly.tagCount))
        header.write(to: out)
        let headerBytes = UnsafeRawBufferPointer(rebasing: out[0..<FrameHeader.size])
        let nonce = UnsafeRawBufferPointer(rebasing: out[8..<20])
        let body = UnsafeMutableRawBufferPointer(rebasing: out[FrameHeader.size..<(FrameHeader.size + plaintextCount)])
        let tag = UnsafeMutableRawBufferPointer(rebasing: out[(FrameHeader.size + plaintextCount)...])
        key.withUnsafeBytes { k in
            RecordChaChaPoly.seal(key: k, nonce: nonce, aad: headerBytes, plaintext: UnsafeRawBufferPointer(body),
                            ciphertext: body, tag: tag)
        }
        sequence += 1
        if type == .keyUpdate { rekey() }
    }

    /// Appends the sealed frame to `out`.
    public mutating func seal(type: FrameType, streamID: UInt32, plaintext: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) {
        let start = out.count
        let size = FrameSealer.sealedSize(plaintextCount: plaintext.count)
        // Header and tag space around one copy of the plaintext, then encryption in place:
        // no zero fill of the payload area first.
        out.reserveCapacity(start + size)
        out.append(contentsOf: repeatElement(0, count: FrameHeader.size))
        out.append(contentsOf: plaintext)
        out.append(contentsOf: repeatElement(0, count: ChaChaPoly.tagCount))
        out.withUnsafeMutableBytes { all in
            sealInPlace(type: type, streamID: streamID, frame: UnsafeMutableRawBufferPointer(rebasing: all[start..<(start + size)]))
        }
    }

    /// Appends the sealed frame to `out`: the plaintext is copied once, to where it is then
    /// encrypted, in the buffer that is written.
    public mutating func seal(type: FrameType, streamID: UInt32, plaintext: UnsafeRawBufferPointer, appendingTo out: inout ByteBuffer) {
        let size = FrameSealer.sealedSize(plaintextCount: plaintext.count)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { free in
            let frame = UnsafeMutableRawBufferPointer(rebasing: free[0..<size])
            if plaintext.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: frame[FrameHeader.size..<(FrameHeader.size + plaintext.count)])
                    .copyMemory(from: plaintext)
            }
            sealInPlace(type: type, streamID: streamID, frame: frame)
            return size
        }
    }

    public mutating func seal(_ frame: Frame, appendingTo out: inout [UInt8]) {
        frame.plaintext.withUnsafeBytes { seal(type: frame.type, streamID: frame.streamID, plaintext: $0, appendingTo: &out) }
    }

    private mutating func rekey() {
        key = KeySchedule.nextKey(after: key)
        sequence = 0
    }
}
