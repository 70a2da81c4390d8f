import CSodium

/// SHA-256 (FIPS 180-4) through libsodium.
public enum SHA256 {
    public static let byteCount = 32

    public static func hash(_ message: some ContiguousBytesView) -> [UInt8] {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: byteCount)
        message.withBytes { m in
            out.withUnsafeMutableBytes { o in
                _ = crypto_hash_sha256(o.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                       m.u8,
                                       UInt64(m.count))
            }
        }
        return out
    }

    /// Hash of several parts without concatenating them first.
    public static func hash(parts: [[UInt8]]) -> [UInt8] {
        Sodium.ensureReady()
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        for part in parts where !part.isEmpty {
            part.withUnsafeBufferPointer { _ = crypto_hash_sha256_update(&state, $0.baseAddress!, UInt64($0.count)) }
        }
        var out = [UInt8](repeating: 0, count: byteCount)
        out.withUnsafeMutableBufferPointer { _ = crypto_hash_sha256_final(&state, $0.baseAddress!) }
        return out
    }
}

