/// The receiving half of a session cipher: one key and the counter it expects next.
///
/// Invariant: never returns plaintext that did not authenticate. A nonce other than
/// `0x00000000 || u64(expected)` is refused before any decryption, so replayed, reordered,
/// dropped or injected frames end the connection (ZTP-1 section 2.1).
public struct FrameOpener: Sendable {
    private var key: SecretBytes
    public private(set) var expectedSequence: UInt64 = 0

    public init(key: SecretBytes) {
        precondition(key.count == ChaChaPoly.keyCount)
        self.key = key
    }

    /// Opens a whole received frame (header included) and returns its plaintext payload.
    public mutating func open(_ frame: FrameDecoder.RawFrame) throws(ZTPError) -> [UInt8] {
        let header = frame.header
        guard header.type.isEncrypted else {
            throw .protocolError(.unexpectedFrame, "\(header.type) after the handshake")
        }
        guard header.noncePrefix == 0, header.sequence == expectedSequence else {
            throw ZTPError(.nonceMismatch, .protocolError, "expected seq \(expectedSequence), got \(header.sequence)")
        }
        let plaintextCount = Int(header.length) - ChaChaPoly.tagCount
        var opened = false
        let plaintext: [UInt8]
        if plaintextCount == 0 {
            // Not `Array(unsafeUninitializedCapacity: 0)`: that stores the count into the one
            // empty-array storage all threads share, a data race ThreadSanitizer reports.
            opened = open(frame, plaintextCount: 0, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
            plaintext = []
        } else {
            // No zero fill first: `RecordChaChaPoly.open` writes every byte, or zeroes them all on failure.
            plaintext = [UInt8](unsafeUninitializedCapacity: plaintextCount) { out, initialized in
                opened = open(frame, plaintextCount: plaintextCount, into: UnsafeMutableRawBufferPointer(out))
                initialized = plaintextCount
            }
        }
        guard opened else {
            throw ZTPError(.decryptFailed, .protocolError, "\(header.type) seq \(header.sequence) failed to open")
        }
        expectedSequence += 1
        if header.type == .keyUpdate {
            key = KeySchedule.nextKey(after: key)
            expectedSequence = 0
        }
        return plaintext
    }

    private func open(_ frame: FrameDecoder.RawFrame, plaintextCount: Int, into out: UnsafeMutableRawBufferPointer) -> Bool {
        frame.bytes.withUnsafeBytes { all in
            key.withUnsafeBytes { k in
                RecordChaChaPoly.open(key: k,
                                      nonce: UnsafeRawBufferPointer(rebasing: all[8..<20]),
                                      aad: UnsafeRawBufferPointer(rebasing: all[0..<FrameHeader.size]),
                                      ciphertext: UnsafeRawBufferPointer(rebasing: all[FrameHeader.size..<(FrameHeader.size + plaintextCount)]),
                                      tag: UnsafeRawBufferPointer(rebasing: all[(FrameHeader.size + plaintextCount)...]),
                                      plaintext: out)
            }
        }
    }
}
