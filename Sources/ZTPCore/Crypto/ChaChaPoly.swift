import CSodium

/// ChaCha20-Poly1305 through libsodium (see `AEADCipher`).
public enum ChaChaPoly: AEADCipher {
    public static func seal(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
                            plaintext: UnsafeRawBufferPointer, ciphertext: UnsafeMutableRawBufferPointer,
                            tag: UnsafeMutableRawBufferPointer) {
        precondition(key.count == keyCount && nonce.count == nonceCount && tag.count == tagCount)
        precondition(ciphertext.count == plaintext.count)
        Sodium.ensureReady()
        var tagLength: UInt64 = 0
        _ = crypto_aead_chacha20poly1305_ietf_encrypt_detached(
            ciphertext.u8,
            tag.baseAddress!.assumingMemoryBound(to: UInt8.self), &tagLength,
            plaintext.u8, UInt64(plaintext.count),
            aad.u8, UInt64(aad.count),
            nil,
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
            key.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }

    public static func open(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
                            ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer,
                            plaintext: UnsafeMutableRawBufferPointer) -> Bool {
        guard key.count == keyCount, nonce.count == nonceCount, tag.count == tagCount,
              plaintext.count == ciphertext.count else { return false }
        Sodium.ensureReady()
        let status = crypto_aead_chacha20poly1305_ietf_decrypt_detached(
            plaintext.u8,
            nil,
            ciphertext.u8, UInt64(ciphertext.count),
            tag.baseAddress!.assumingMemoryBound(to: UInt8.self),
            aad.u8, UInt64(aad.count),
            nonce.baseAddress!.assumingMemoryBound(to: UInt8.self),
            key.baseAddress!.assumingMemoryBound(to: UInt8.self))
        if status != 0 {
            if plaintext.count > 0 { sodium_memzero(plaintext.baseAddress!, plaintext.count) }
            return false
        }
        return true
    }
}
