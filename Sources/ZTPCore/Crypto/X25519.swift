import CSodium

/// X25519 Diffie-Hellman (RFC 7748) through libsodium.
public enum X25519 {
    public static let keyCount = 32

    /// An ephemeral key pair. The private scalar is wiped when the pair is released.
    public struct KeyPair: Sendable {
        public let publicKey: [UInt8]
        public let privateKey: SecretBytes

        /// A fresh random key pair.
        public init() {
            self.init(privateKey: SecretBytes(randomCount: X25519.keyCount))
        }

        /// The pair for a given private scalar (clamping is applied by X25519 itself).
        public init(privateKey: SecretBytes) {
            precondition(privateKey.count == X25519.keyCount, "X25519 private keys are 32 bytes")
            Sodium.ensureReady()
            var pub = [UInt8](repeating: 0, count: X25519.keyCount)
            privateKey.withUnsafeBytes { sk in
                pub.withUnsafeMutableBufferPointer { pk in
                    _ = crypto_scalarmult_curve25519_base(pk.baseAddress!, sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            self.privateKey = privateKey
            self.publicKey = pub
        }
    }

    /// The shared secret, or nil when the peer key has the wrong size or the result is all
    /// zero (a low-order peer point: ZTP-1 section 3.3 says abort).
    public static func sharedSecret(privateKey: SecretBytes, peerPublicKey: some ContiguousBytesView) -> SecretBytes? {
        Sodium.ensureReady()
        var out = [UInt8](repeating: 0, count: keyCount)
        defer { ConstantTime.wipe(&out) }
        let status: Int32 = peerPublicKey.withBytes { peer in
            guard peer.count == keyCount else { return -1 }
            return privateKey.withUnsafeBytes { sk in
                out.withUnsafeMutableBufferPointer { o in
                    crypto_scalarmult_curve25519(o.baseAddress!,
                                                 sk.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                 peer.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        // libsodium already returns -1 for an all-zero result; check again so the rule does not
        // rest on one library version's behaviour.
        guard status == 0, sodium_is_zero(out, keyCount) == 0 else { return nil }
        return SecretBytes(out)
    }
}
