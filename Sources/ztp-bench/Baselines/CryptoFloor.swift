import ZTPCore

/// The crypto floor, timed through the same ZTPCore wrappers the server uses.
///
/// Handshake: the server's share of a ZTP handshake's public-key work, one X25519 key pair, one
/// X25519 shared secret and one Ed25519 signature (of a message the size of the transcript).
/// Record layer: ChaCha20-Poly1305 sealing a 64 KiB plaintext in place.
enum CryptoFloor {
    /// Microseconds of thread CPU time per handshake's crypto: the median of three batches.
    static func handshakeMicroseconds(iterations: Int) -> Double {
        let identity = Ed25519.KeyPair()
        let peer = X25519.KeyPair().publicKey
        let transcript = [UInt8](repeating: 0x42, count: 24 + 32 + 24 + 64)
        var samples: [Double] = []
        var sink = 0
        for _ in 0..<3 {
            let start = threadCPUTime()
            for _ in 0..<iterations {
                let ephemeral = X25519.KeyPair()
                let shared = X25519.sharedSecret(privateKey: ephemeral.privateKey, peerPublicKey: peer)
                let signature = identity.sign(transcript)
                sink &+= Int(signature[0]) &+ (shared?.count ?? 0)
            }
            samples.append((threadCPUTime() - start) / Double(iterations) * 1e6)
        }
        precondition(sink != 0 || iterations == 0)
        return Stats.median(samples)
    }

    /// MB/s (10^6 bytes per CPU second) sealing 64 KiB plaintexts in place with `cipher`: the
    /// median of three batches.
    static func sealMegabytesPerSecond<Cipher: AEADCipher>(_ cipher: Cipher.Type, bytes: Int) -> Double {
        let size = FrameType.maxDataPayload
        let key = SecureRandom.bytes(ChaChaPoly.keyCount)
        var nonce = [UInt8](repeating: 0, count: ChaChaPoly.nonceCount)
        let aad = [UInt8](repeating: 0, count: 24)
        var buffer = [UInt8](repeating: 0x5A, count: size)
        var tag = [UInt8](repeating: 0, count: ChaChaPoly.tagCount)
        let count = max(1, bytes / size)
        var samples: [Double] = []
        for _ in 0..<3 {
            let start = threadCPUTime()
            for index in 0..<count {
                nonce[4] = UInt8(truncatingIfNeeded: index)
                key.withUnsafeBytes { k in nonce.withUnsafeBytes { n in aad.withUnsafeBytes { a in
                    buffer.withUnsafeMutableBytes { b in tag.withUnsafeMutableBytes { t in
                        Cipher.seal(key: k, nonce: n, aad: a, plaintext: UnsafeRawBufferPointer(b), ciphertext: b, tag: t)
                    } }
                } } }
            }
            samples.append(Double(count * size) / (threadCPUTime() - start) / 1e6)
        }
        return Stats.median(samples)
    }
}
