import Testing
@testable import ZTPCore

@Suite("Crypto wrappers against the RFC test vectors")
struct CryptoRFCVectorTests {

    // MARK: ChaCha20-Poly1305, RFC 8439 section 2.8.2

    enum AEAD {
        static let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        static let nonce = hex("070000004041424344454647")
        static let aad = hex("50515253c0c1c2c3c4c5c6c7")
        static let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        static let ciphertext = hex("""
            d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
            3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
            92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
            3ff4def08e4b7a9de576d26586cec64b6116
            """)
        static let tag = hex("1ae10b594f09e26a7e902ecbd0600691")
    }

    @Test("RFC 8439 2.8.2: seal gives the exact ciphertext and tag", arguments: AEADImplementation.allCases)
    func aeadSeal(_ aead: AEADImplementation) throws {
        let sealed = try #require(aead.seal(key: AEAD.key, nonce: AEAD.nonce, aad: AEAD.aad, plaintext: AEAD.plaintext))
        #expect(sealed == AEAD.ciphertext + AEAD.tag)
    }

    @Test("RFC 8439 2.8.2: the pointer seal works in place, as frames use it", arguments: AEADImplementation.allCases)
    func aeadSealInPlace(_ aead: AEADImplementation) {
        var buffer = AEAD.plaintext
        var tag = [UInt8](repeating: 0, count: ChaChaPoly.tagCount)
        AEAD.key.withUnsafeBytes { k in AEAD.nonce.withUnsafeBytes { n in AEAD.aad.withUnsafeBytes { a in
            buffer.withUnsafeMutableBytes { b in
                tag.withUnsafeMutableBytes { t in
                    aead.seal(key: k, nonce: n, aad: a, plaintext: UnsafeRawBufferPointer(b), ciphertext: b, tag: t)
                }
            }
        } } }
        #expect(buffer == AEAD.ciphertext)
        #expect(tag == AEAD.tag)
    }

    @Test("RFC 8439 2.8.2: open gives the plaintext back (array, pointer and in-place forms)", arguments: AEADImplementation.allCases)
    func aeadOpen(_ aead: AEADImplementation) {
        #expect(aead.open(key: AEAD.key, nonce: AEAD.nonce, aad: AEAD.aad, sealed: AEAD.ciphertext + AEAD.tag) == AEAD.plaintext)
        let (ok, plaintext) = openWithPointers(aead, ciphertext: AEAD.ciphertext, tag: AEAD.tag, aad: AEAD.aad)
        #expect(ok)
        #expect(plaintext == AEAD.plaintext)
        var buffer = AEAD.ciphertext
        let inPlace = AEAD.key.withUnsafeBytes { k in AEAD.nonce.withUnsafeBytes { n in AEAD.aad.withUnsafeBytes { a in
            AEAD.tag.withUnsafeBytes { t in buffer.withUnsafeMutableBytes { b in
                aead.open(key: k, nonce: n, aad: a, ciphertext: UnsafeRawBufferPointer(b), tag: t, plaintext: b)
            } }
        } } }
        #expect(inPlace)
        #expect(buffer == AEAD.plaintext)
    }

    @Test("RFC 8439 2.8.2: a flipped bit in ciphertext, tag or AAD fails, and no plaintext leaks",
          arguments: AEADImplementation.allCases, [0, 57, 113, 114, 129])
    func aeadTamper(_ aead: AEADImplementation, byte: Int) {
        // Bytes 0..<114 of the sealed message are ciphertext, 114..<130 the tag.
        var sealed = AEAD.ciphertext + AEAD.tag
        sealed[byte] ^= 1 << (byte % 8)
        #expect(aead.open(key: AEAD.key, nonce: AEAD.nonce, aad: AEAD.aad, sealed: sealed) == nil)
        let split = AEAD.ciphertext.count
        let (ok, plaintext) = openWithPointers(aead, ciphertext: Array(sealed[..<split]), tag: Array(sealed[split...]), aad: AEAD.aad)
        #expect(!ok)
        #expect(plaintext.allSatisfy { $0 == 0 })

        var aad = AEAD.aad
        aad[byte % aad.count] ^= 1 << (byte % 8)
        #expect(aead.open(key: AEAD.key, nonce: AEAD.nonce, aad: aad, sealed: AEAD.ciphertext + AEAD.tag) == nil)
    }

    @Test("AEAD: short input and wrong key or nonce sizes are refused", arguments: AEADImplementation.allCases)
    func aeadRefusals(_ aead: AEADImplementation) {
        #expect(aead.open(key: AEAD.key, nonce: AEAD.nonce, aad: AEAD.aad, sealed: Array(AEAD.tag.prefix(15))) == nil)
        #expect(aead.seal(key: Array(AEAD.key.prefix(31)), nonce: AEAD.nonce, aad: AEAD.aad, plaintext: AEAD.plaintext) == nil)
        #expect(aead.seal(key: AEAD.key, nonce: AEAD.nonce + [0], aad: AEAD.aad, plaintext: AEAD.plaintext) == nil)
        #expect(aead.open(key: AEAD.key + [0], nonce: AEAD.nonce, aad: AEAD.aad, sealed: AEAD.ciphertext + AEAD.tag) == nil)
        #expect(aead.open(key: AEAD.key, nonce: Array(AEAD.nonce.prefix(8)), aad: AEAD.aad, sealed: AEAD.ciphertext + AEAD.tag) == nil)
    }

    @Test("libsodium and libcrypto agree: each opens what the other sealed, at every size a frame can have",
          arguments: [0, 1, 15, 16, 17, 63, 64, 65, 255, 1024, 4097, 65_536])
    func aeadCross(size: Int) {
        let key = SecureRandom.bytes(32), nonce = SecureRandom.bytes(12), aad = SecureRandom.bytes(24)
        let plaintext = SecureRandom.bytes(size)
        let bySodium = ChaChaPoly.seal(key: key, nonce: nonce, aad: aad, plaintext: plaintext)
        let byCrypto = RecordChaChaPoly.seal(key: key, nonce: nonce, aad: aad, plaintext: plaintext)
        #expect(bySodium != nil && bySodium == byCrypto)
        if let byCrypto, let bySodium {
            #expect(ChaChaPoly.open(key: key, nonce: nonce, aad: aad, sealed: byCrypto) == plaintext)
            #expect(RecordChaChaPoly.open(key: key, nonce: nonce, aad: aad, sealed: bySodium) == plaintext)
        }
    }

    @Test("libcrypto's per-thread contexts keep no state between frames: interleaved keys and directions on many threads")
    func aeadContextsPerThread() async {
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    let keys = (0..<3).map { _ in SecureRandom.bytes(32) }
                    for round in 0..<200 {
                        let key = keys[round % 3], nonce = SecureRandom.bytes(12), message = SecureRandom.bytes(round)
                        guard let sealed = RecordChaChaPoly.seal(key: key, nonce: nonce, aad: [], plaintext: message),
                              RecordChaChaPoly.open(key: keys[(round + 1) % 3], nonce: nonce, aad: [], sealed: sealed) == nil,
                              RecordChaChaPoly.open(key: key, nonce: nonce, aad: [], sealed: sealed) == message,
                              ChaChaPoly.open(key: key, nonce: nonce, aad: [], sealed: sealed) == message else { return false }
                    }
                    return true
                }
            }
            for await ok in group { #expect(ok) }
        }
    }

    private func openWithPointers(_ aead: AEADImplementation, ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) -> (Bool, [UInt8]) {
        // Pre-filled so that a failed open visibly has to zero it.
        var plaintext = [UInt8](repeating: 0xA5, count: ciphertext.count)
        let ok = AEAD.key.withUnsafeBytes { k in AEAD.nonce.withUnsafeBytes { n in aad.withUnsafeBytes { a in
            ciphertext.withUnsafeBytes { c in tag.withUnsafeBytes { t in plaintext.withUnsafeMutableBytes { p in
                aead.open(key: k, nonce: n, aad: a, ciphertext: c, tag: t, plaintext: p)
            } } }
        } } }
        return (ok, plaintext)
    }

    // MARK: X25519, RFC 7748

    /// A named vector, so test-case lines show the RFC reference rather than the bytes.
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let fields: [String: String]
        init(_ name: String, _ fields: [String: String]) { self.name = name; self.fields = fields }
        var testDescription: String { name }
        subscript(_ key: String) -> [UInt8] { hex(fields[key]!) }
    }

    @Test("RFC 7748 5.2: scalar times u-coordinate", arguments: [
        Vector("5.2 first", [
            "scalar": "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "u": "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "out": "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"]),
        // The u-coordinate has its top bit set, which X25519 must ignore.
        Vector("5.2 second", [
            "scalar": "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "u": "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "out": "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"]),
    ])
    func x25519ScalarMult(v: Vector) throws {
        let out = try #require(X25519.sharedSecret(privateKey: SecretBytes(v["scalar"]), peerPublicKey: v["u"]))
        #expect(out.bytes == v["out"])
    }

    @Test("RFC 7748 6.1: Alice and Bob derive the published keys and shared secret")
    func x25519DiffieHellman() throws {
        let alice = X25519.KeyPair(privateKey: SecretBytes(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")))
        let bob = X25519.KeyPair(privateKey: SecretBytes(hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")))
        #expect(alice.publicKey == hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
        #expect(bob.publicKey == hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
        let k = hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        let fromAlice = try #require(X25519.sharedSecret(privateKey: alice.privateKey, peerPublicKey: bob.publicKey))
        let fromBob = try #require(X25519.sharedSecret(privateKey: bob.privateKey, peerPublicKey: alice.publicKey))
        #expect(fromAlice.bytes == k)
        #expect(fromBob.bytes == k)
    }

    @Test("X25519: all-zero, low-order and wrong-size peer keys give nil", arguments: [
        Vector("all zero (u = 0)", ["u": String(repeating: "00", count: 32)]),
        Vector("u = 1", ["u": "01" + String(repeating: "00", count: 31)]),
        Vector("order 8 point", ["u": "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"]),
        Vector("other order 8 point", ["u": "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"]),
        Vector("u = p - 1", ["u": "ec" + String(repeating: "ff", count: 30) + "7f"]),
        Vector("31 bytes", ["u": "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b"]),
        Vector("33 bytes", ["u": "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f00"]),
    ])
    func x25519Rejects(v: Vector) {
        let alice = X25519.KeyPair(privateKey: SecretBytes(hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")))
        #expect(X25519.sharedSecret(privateKey: alice.privateKey, peerPublicKey: v["u"]) == nil)
    }

    // MARK: Ed25519, RFC 8032 section 7.1

    @Test("RFC 8032 7.1 tests 1-3: public key, signature, verify", arguments: [
        Vector("TEST 1", [
            "seed": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "pk": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "msg": "",
            "sig": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"]),
        Vector("TEST 2", [
            "seed": "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "pk": "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "msg": "72",
            "sig": "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"]),
        Vector("TEST 3", [
            "seed": "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "pk": "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "msg": "af82",
            "sig": "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"]),
    ])
    func ed25519(v: Vector) {
        let pair = Ed25519.KeyPair(seed: SecretBytes(v["seed"]))
        let msg = v["msg"]
        #expect(pair.publicKey == v["pk"])
        #expect(pair.seed.bytes == v["seed"])
        let sig = pair.sign(msg)
        #expect(sig == v["sig"])
        #expect(Ed25519.verify(signature: sig, message: msg, publicKey: pair.publicKey))

        var changed = msg.isEmpty ? [0x00] : msg
        if !msg.isEmpty { changed[0] ^= 0x01 }
        #expect(!Ed25519.verify(signature: sig, message: changed, publicKey: pair.publicKey))
        var badSig = sig
        badSig[10] ^= 0x04
        #expect(!Ed25519.verify(signature: badSig, message: msg, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: Array(sig.prefix(63)), message: msg, publicKey: pair.publicKey))
    }

    // MARK: HKDF-SHA-256, RFC 5869 appendix A.1-A.3

    @Test("RFC 5869 A.1-A.3: PRK and OKM", arguments: [
        Vector("A.1", [
            "ikm": String(repeating: "0b", count: 22), "salt": "000102030405060708090a0b0c", "info": "f0f1f2f3f4f5f6f7f8f9",
            "prk": "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            "okm": "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"]),
        Vector("A.2", [
            "ikm": Array(0x00...0x4f as ClosedRange<UInt8>).hexString,
            "salt": Array(0x60...0xaf as ClosedRange<UInt8>).hexString,
            "info": Array(0xb0...0xff as ClosedRange<UInt8>).hexString,
            "prk": "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            "okm": """
                b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
                59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
                cc30c58179ec3e87c14c01d5c1f3434f1d87
                """]),
        Vector("A.3", [
            "ikm": String(repeating: "0b", count: 22), "salt": "", "info": "",
            "prk": "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            "okm": "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"]),
    ])
    func hkdf(v: Vector) throws {
        let prk = HKDF.extract(salt: v["salt"], ikm: v["ikm"])
        #expect(prk == v["prk"])
        let okm = try #require(HKDF.expand(prk: prk, info: v["info"], count: v["okm"].count))
        #expect(okm == v["okm"])
    }

    @Test("HKDF.expand gives at most 255 * 32 = 8160 bytes")
    func hkdfLimit() {
        let prk = HKDF.extract(salt: [UInt8](), ikm: [UInt8](repeating: 1, count: 32))
        #expect(HKDF.expand(prk: prk, info: [UInt8](), count: 8160)?.count == 8160)
        #expect(HKDF.expand(prk: prk, info: [UInt8](), count: 8161) == nil)
        #expect(HKDF.expand(prk: prk, info: [UInt8](), count: -1) == nil)
        #expect(HKDF.expand(prk: prk, info: [UInt8](), count: 0) == [])
    }

    // MARK: HMAC-SHA-256, RFC 4231

    @Test("RFC 4231 test cases 1, 2, 3, 4, 6, 7", arguments: [
        Vector("4.2 TC1", ["key": String(repeating: "0b", count: 20), "data": Array("Hi There".utf8).hexString,
                           "mac": "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"]),
        Vector("4.3 TC2", ["key": Array("Jefe".utf8).hexString, "data": Array("what do ya want for nothing?".utf8).hexString,
                           "mac": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"]),
        Vector("4.4 TC3", ["key": String(repeating: "aa", count: 20), "data": String(repeating: "dd", count: 50),
                           "mac": "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"]),
        Vector("4.5 TC4", ["key": Array(0x01...0x19 as ClosedRange<UInt8>).hexString, "data": String(repeating: "cd", count: 50),
                           "mac": "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"]),
        Vector("4.7 TC6", ["key": String(repeating: "aa", count: 131),
                           "data": Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8).hexString,
                           "mac": "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"]),
        Vector("4.8 TC7", ["key": String(repeating: "aa", count: 131),
                           "data": Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8).hexString,
                           "mac": "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"]),
    ])
    func hmac(v: Vector) {
        let key = v["key"], data = v["data"]
        let mac = HMACSHA256.authenticate(data, key: key)
        #expect(mac == v["mac"])
        #expect(HMACSHA256.verify(mac, message: data, key: key))
        var wrong = mac
        wrong[31] ^= 0x01
        #expect(!HMACSHA256.verify(wrong, message: data, key: key))
        #expect(!HMACSHA256.verify(Array(mac.prefix(16)), message: data, key: key))
    }

    // MARK: SHA-256, constant-time compare, secrets, randomness

    @Test("SHA-256 of \"abc\" and of the empty string (FIPS 180-4 examples)")
    func sha256() {
        let abc = hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Array("abc".utf8)) == abc)
        #expect(SHA256.hash(parts: [Array("a".utf8), [], Array("bc".utf8)]) == abc)
        #expect(SHA256.hash([UInt8]()) == hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
    }

    @Test("ConstantTime.equal: equal, different, different length")
    func constantTimeEqual() {
        let a: [UInt8] = [1, 2, 3, 4]
        #expect(ConstantTime.equal(a, [1, 2, 3, 4] as [UInt8]))
        #expect(ConstantTime.equal([UInt8](), [UInt8]()))
        #expect(!ConstantTime.equal(a, [1, 2, 3, 5] as [UInt8]))
        #expect(!ConstantTime.equal(a, [1, 2, 3] as [UInt8]))
        #expect(!ConstantTime.equal(a, a + [0]))
        #expect(!ConstantTime.equal(a, [UInt8]()))
        #expect(ConstantTime.equal(a[1...], [2, 3, 4] as [UInt8]))
        #expect(ConstantTime.equal(SecretBytes(a), a))
    }

    @Test("SecretBytes keeps its bytes; SecureRandom gives the asked count")
    func secretsAndRandom() {
        #expect(SecretBytes([9, 8, 7] as [UInt8]).bytes == [9, 8, 7])
        #expect(SecretBytes([UInt8]()).count == 0)
        #expect(SecretBytes(randomCount: 32).count == 32)
        #expect(SecureRandom.bytes(0).isEmpty)
        // 2^-256 chance of a false failure.
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
        var wiped: [UInt8] = [1, 2, 3]
        ConstantTime.wipe(&wiped)
        #expect(wiped == [0, 0, 0])
    }
}
