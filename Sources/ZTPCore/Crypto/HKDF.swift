/// HKDF-SHA-256 (RFC 5869) built on libsodium's HMAC-SHA-256, since libsodium 1.0.18 has no HKDF.
public enum HKDF {
    public static let maxOutputCount = 255 * HMACSHA256.byteCount

    /// PRK = HMAC-SHA-256(salt, IKM). An empty salt acts as 32 zero bytes, as HMAC pads keys.
    public static func extract(salt: some ContiguousBytesView, ikm: some ContiguousBytesView) -> [UInt8] {
        HMACSHA256.authenticate(ikm, key: salt)
    }

    /// OKM of `count` bytes; nil when `count` exceeds 255 * 32 (RFC 5869 section 2.3).
    public static func expand(prk: some ContiguousBytesView, info: some ContiguousBytesView, count: Int) -> [UInt8]? {
        guard count >= 0, count <= maxOutputCount else { return nil }
        let infoBytes = info.withBytes { Array($0) }
        var okm = [UInt8]()
        okm.reserveCapacity(count + HMACSHA256.byteCount)
        var previous = [UInt8]()
        var counter: UInt8 = 1
        while okm.count < count {
            // T(i) = HMAC(PRK, T(i-1) || info || i)
            var input = previous + infoBytes + [counter]
            ConstantTime.wipe(&previous)
            previous = HMACSHA256.authenticate(input, key: prk)
            ConstantTime.wipe(&input)
            okm.append(contentsOf: previous)
            counter &+= 1
        }
        ConstantTime.wipe(&previous)
        okm.removeLast(okm.count - count)
        return okm
    }
}
