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
        var bytes = Array(frame.bytes)
        let opened = bytes.withUnsafeMutableBytes { all -> Result<Int, ZTPError> in
            do throws(ZTPError) { return .success(try openInPlace(header: frame.header, frame: all)) }
            catch { return .failure(error) }
        }
        let count = try opened.get()
        return Array(bytes[FrameHeader.size..<(FrameHeader.size + count)])
    }

    /// Opens a whole received frame (header included) where it lies: afterwards its payload
    /// bytes hold the plaintext, whose length is returned. On failure they are zeroed.
    mutating func openInPlace(header: FrameHeader, frame: UnsafeMutableRawBufferPointer) throws(ZTPError) -> Int {
        guard header.type.isEncrypted else {
            throw .protocolError(.unexpectedFrame, "\(header.type) after the handshake")
        }
        guard header.noncePrefix == 0, header.sequence == expectedSequence else {
            throw ZTPError(.nonceMismatch, .protocolError, "expected seq \(expectedSequence), got \(header.sequence)")
        }
        let plaintextCount = Int(header.length) - ChaChaPoly.tagCount
        precondition(frame.count == FrameHeader.size + Int(header.length), "not a whole frame")
        // In place: libcrypto's ChaCha20 reads each block before it writes it.
        let body = UnsafeMutableRawBufferPointer(rebasing: frame[FrameHeader.size..<(FrameHeader.size + plaintextCount)])
        let opened = key.withUnsafeBytes { k in
            RecordChaChaPoly.open(key: k,
                                  nonce: UnsafeRawBufferPointer(rebasing: frame[8..<20]),
                                  aad: UnsafeRawBufferPointer(rebasing: frame[0..<FrameHeader.size]),
                                  ciphertext: UnsafeRawBufferPointer(body),
                                  tag: UnsafeRawBufferPointer(rebasing: frame[(FrameHeader.size + plaintextCount)...]),
                                  plaintext: body)
        }
        guard opened else {
            throw ZTPError(.decryptFailed, .protocolError, "\(header.type) seq \(header.sequence) failed to open")
        }
        expectedSequence += 1
        if header.type == .keyUpdate {
            key = KeySchedule.nextKey(after: key)
            expectedSequence = 0
        }
        return plaintextCount
    }
}
