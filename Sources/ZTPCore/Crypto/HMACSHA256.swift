import CSodium

/// HMAC-SHA-256 (RFC 2104) with a key of any length, through libsodium's streaming API
/// (its one-shot `crypto_auth_hmacsha256` only takes 32-byte keys).
public enum HMACSHA256 {
    public static let byteCount = 32

    public static func authenticate(_ message: some ContiguousBytesView, key: some ContiguousBytesView) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        message.withBytes { m in
            key.withBytes { k in
                out.withUnsafeMutableBufferPointer { o in
                    mac(into: o.baseAddress!, key: k, parts: [m])
                }
            }
        }
        return out
    }

    /// Writes the MAC of the concatenated `parts` to `out` (32 bytes).
    static func mac(into out: UnsafeMutablePointer<UInt8>, key: UnsafeRawBufferPointer, parts: [UnsafeRawBufferPointer]) {
        Sodium.ensureReady()
        var state = crypto_auth_hmacsha256_state()
        crypto_auth_hmacsha256_init(&state, key.u8, key.count)
        for part in parts where part.count > 0 {
            crypto_auth_hmacsha256_update(&state, part.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(part.count))
        }
        crypto_auth_hmacsha256_final(&state, out)
        sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size)
    }

    /// Constant-time check of a received MAC.
    public static func verify(_ mac: some ContiguousBytesView, message: some ContiguousBytesView, key: some ContiguousBytesView) -> Bool {
        let expected = authenticate(message, key: key)
        return ConstantTime.equal(expected, mac)
    }
}
