import CSodium

/// ChaCha20-Poly1305 IETF AEAD (RFC 8439): 32-byte key, 12-byte nonce, 16-byte tag.
///
/// Invariant: `open` never releases plaintext that failed authentication; on failure the
/// output buffer is zeroed before it returns.
public enum ChaChaPoly {
    public static let keyCount = 32
    public static let nonceCount = 12
    public static let tagCount = 16

    /// Encrypts `plaintext` into `ciphertext` (same length, may be the same memory) and writes
    /// the tag to `tag`. Sizes are preconditions: callers lay out frames themselves.
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

    /// Verifies the tag and decrypts into `plaintext` (same length as `ciphertext`). Returns
    /// false, with `plaintext` zeroed, when authentication fails.
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

    /// Array convenience: ciphertext || tag.
    public static func seal(key: some ContiguousBytesView, nonce: some ContiguousBytesView, aad: some ContiguousBytesView,
                            plaintext: some ContiguousBytesView) -> [UInt8]? {
        key.withBytes { k in nonce.withBytes { n in aad.withBytes { a in plaintext.withBytes { p in
            guard k.count == keyCount, n.count == nonceCount else { return nil }
            var out = [UInt8](repeating: 0, count: p.count + tagCount)
            out.withUnsafeMutableBytes { o in
                seal(key: k, nonce: n, aad: a, plaintext: p,
                     ciphertext: UnsafeMutableRawBufferPointer(rebasing: o[0..<p.count]),
                     tag: UnsafeMutableRawBufferPointer(rebasing: o[p.count...]))
            }
            return out
        } } } }
    }

    /// Array convenience: opens ciphertext || tag; nil when it does not authenticate.
    public static func open(key: some ContiguousBytesView, nonce: some ContiguousBytesView, aad: some ContiguousBytesView,
                            sealed: some ContiguousBytesView) -> [UInt8]? {
        key.withBytes { k in nonce.withBytes { n in aad.withBytes { a in sealed.withBytes { s in
            guard s.count >= tagCount else { return nil }
            let n0 = s.count - tagCount
            var out = [UInt8](repeating: 0, count: n0)
            let ok = out.withUnsafeMutableBytes { o in
                open(key: k, nonce: n, aad: a,
                     ciphertext: UnsafeRawBufferPointer(rebasing: s[0..<n0]),
                     tag: UnsafeRawBufferPointer(rebasing: s[n0...]), plaintext: o)
            }
            return ok ? out : nil
        } } } }
    }
}
