/// ChaCha20-Poly1305 IETF AEAD (RFC 8439): 32-byte key, 12-byte nonce, 16-byte tag, with two
/// implementations of one contract: `ChaChaPoly` (libsodium) and `RecordChaChaPoly` (OpenSSL's
/// libcrypto, which the record layer uses for its speed on long frames). Both are tested against
/// the same vectors and against each other.
///
/// Invariant: `open` never releases plaintext that failed authentication; on failure the
/// output buffer is zeroed before it returns.
public protocol AEADCipher {
    /// Encrypts `plaintext` into `ciphertext` (same length, may be the same memory) and writes
    /// the tag to `tag`. Sizes are preconditions: callers lay out frames themselves.
    static func seal(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
                     plaintext: UnsafeRawBufferPointer, ciphertext: UnsafeMutableRawBufferPointer,
                     tag: UnsafeMutableRawBufferPointer)

    /// Verifies the tag and decrypts into `plaintext` (same length as `ciphertext`; may be the
    /// same memory). Returns false, with `plaintext` zeroed, when authentication fails.
    static func open(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
                     ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer,
                     plaintext: UnsafeMutableRawBufferPointer) -> Bool
}

extension AEADCipher {
    public static var keyCount: Int { 32 }
    public static var nonceCount: Int { 12 }
    public static var tagCount: Int { 16 }

    /// Array convenience: ciphertext || tag; nil for a key or nonce of the wrong size.
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
