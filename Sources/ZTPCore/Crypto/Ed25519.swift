import CSodium

/// Ed25519 signatures (RFC 8032) through libsodium.
public enum Ed25519 {
    public static let seedCount = 32
    public static let publicKeyCount = 32
    public static let signatureCount = 64

    /// A signing identity. The 64-byte libsodium secret key is wiped on release.
    public struct KeyPair: Sendable {
        public let publicKey: [UInt8]
        private let secretKey: SecretBytes
        /// The 32-byte RFC 8032 seed, which is what a key file stores.
        public let seed: SecretBytes

        public init(seed: SecretBytes) {
            precondition(seed.count == Ed25519.seedCount, "Ed25519 seeds are 32 bytes")
            Sodium.ensureReady()
            var pk = [UInt8](repeating: 0, count: Ed25519.publicKeyCount)
            var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
            seed.withUnsafeBytes { s in
                _ = crypto_sign_seed_keypair(&pk, &sk, s.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            self.publicKey = pk
            self.secretKey = SecretBytes(sk)
            self.seed = seed
            ConstantTime.wipe(&sk)
        }

        /// A new random identity.
        public init() {
            self.init(seed: SecretBytes(randomCount: Ed25519.seedCount))
        }

        public func sign(_ message: some ContiguousBytesView) -> [UInt8] {
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureCount)
            message.withBytes { m in
                secretKey.withUnsafeBytes { sk in
                    _ = crypto_sign_detached(&signature, nil,
                                             m.u8,
                                             UInt64(m.count),
                                             sk.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
            return signature
        }
    }

    /// True only for a well-formed signature by `publicKey` over `message`.
    public static func verify(signature: some ContiguousBytesView, message: some ContiguousBytesView, publicKey: some ContiguousBytesView) -> Bool {
        Sodium.ensureReady()
        return signature.withBytes { sig in
            publicKey.withBytes { pk in
                message.withBytes { m in
                    guard sig.count == signatureCount, pk.count == publicKeyCount else { return false }
                    return crypto_sign_verify_detached(sig.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                       m.u8,
                                                       UInt64(m.count),
                                                       pk.baseAddress!.assumingMemoryBound(to: UInt8.self)) == 0
                }
            }
        }
    }
}
