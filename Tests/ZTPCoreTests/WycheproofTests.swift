import Testing
@testable import ZTPCore

/// Every case of the Project Wycheproof files in Vectors/wycheproof, through our wrappers.
/// Each test counts the cases it ran against the file's `numberOfTests`, so a group that
/// failed to decode or was skipped makes the test fail.
@Suite("Wycheproof vectors")
struct WycheproofTests {

    @Test("ChaCha20-Poly1305: valid cases seal and open exactly, invalid ones are refused", arguments: AEADImplementation.allCases)
    func chaCha20Poly1305(_ aead: AEADImplementation) throws {
        let file = try Vectors.load(Wycheproof.File<Wycheproof.AeadGroup>.self, "wycheproof/chacha20_poly1305_test.json")
        var count = 0
        for group in file.testGroups {
            #expect(group.keySize == 256 && group.tagSize == 128)
            for t in group.tests {
                count += 1
                let id = Comment(rawValue: "tcId \(t.tcId): \(t.comment)")
                let key = hex(t.key), nonce = hex(t.iv), aad = hex(t.aad), msg = hex(t.msg), ct = hex(t.ct), tag = hex(t.tag)
                #expect(nonce.count * 8 == group.ivSize, id)
                let sealed = aead.seal(key: key, nonce: nonce, aad: aad, plaintext: msg)
                let opened = aead.open(key: key, nonce: nonce, aad: aad, sealed: ct + tag)
                switch t.result {
                case .valid:
                    // Only 12-byte nonces exist in ZTP; a valid vector with another size would be
                    // one our wrapper cannot honour.
                    #expect(nonce.count == ChaChaPoly.nonceCount, id)
                    #expect(sealed == ct + tag, id)
                    #expect(opened == msg, id)
                case .invalid:
                    #expect(opened == nil, id)
                    if nonce.count == ChaChaPoly.nonceCount {
                        #expect(!t.flags.contains("InvalidNonceSize"), id)
                    } else {
                        #expect(sealed == nil, id)
                    }
                case .acceptable:
                    Issue.record("unexpected acceptable AEAD case; \(id.rawValue)")
                }
            }
        }
        #expect(count == file.numberOfTests)
    }

    @Test("Ed25519: valid signatures verify, invalid ones do not")
    func ed25519() throws {
        let file = try Vectors.load(Wycheproof.File<Wycheproof.EddsaGroup>.self, "wycheproof/ed25519_test.json")
        var count = 0
        for group in file.testGroups {
            let publicKey = hex(group.publicKey.pk)
            for t in group.tests {
                count += 1
                let id = Comment(rawValue: "tcId \(t.tcId): \(t.comment)")
                let ok = Ed25519.verify(signature: hex(t.sig), message: hex(t.msg), publicKey: publicKey)
                switch t.result {
                case .valid: #expect(ok, id)
                case .invalid: #expect(!ok, id)
                case .acceptable: Issue.record("unexpected acceptable Ed25519 case; \(id.rawValue)")
                }
            }
        }
        #expect(count == file.numberOfTests)
    }

    @Test("HKDF-SHA-256: valid cases give the OKM, oversize requests give nil")
    func hkdf() throws {
        let file = try Vectors.load(Wycheproof.File<Wycheproof.HkdfGroup>.self, "wycheproof/hkdf_sha256_test.json")
        var count = 0
        for group in file.testGroups {
            for t in group.tests {
                count += 1
                let id = Comment(rawValue: "tcId \(t.tcId): \(t.comment)")
                let prk = HKDF.extract(salt: hex(t.salt), ikm: hex(t.ikm))
                let okm = HKDF.expand(prk: prk, info: hex(t.info), count: t.size)
                switch t.result {
                case .valid: #expect(okm == hex(t.okm), id)
                case .invalid: #expect(okm == nil, id)
                case .acceptable: Issue.record("unexpected acceptable HKDF case; \(id.rawValue)")
                }
            }
        }
        #expect(count == file.numberOfTests)
    }

    @Test("HMAC-SHA-256: valid tags match (truncated ones as a prefix), invalid ones do not")
    func hmacSHA256() throws {
        let file = try Vectors.load(Wycheproof.File<Wycheproof.MacGroup>.self, "wycheproof/hmac_sha256_test.json")
        var count = 0
        for group in file.testGroups {
            for t in group.tests {
                count += 1
                let id = Comment(rawValue: "tcId \(t.tcId): \(t.comment)")
                let key = hex(t.key), msg = hex(t.msg), tag = hex(t.tag)
                #expect(tag.count * 8 == group.tagSize, id)
                let mac = HMACSHA256.authenticate(msg, key: key)
                let matches = ConstantTime.equal(mac.prefix(group.tagSize / 8), tag)
                // verify() takes only full 32-byte MACs, so a truncated tag never passes it.
                let verified = HMACSHA256.verify(tag, message: msg, key: key)
                switch t.result {
                case .valid:
                    #expect(matches, id)
                    #expect(verified == (group.tagSize == 256), id)
                case .invalid:
                    #expect(!matches, id)
                    #expect(!verified, id)
                case .acceptable:
                    Issue.record("unexpected acceptable HMAC case; \(id.rawValue)")
                }
            }
        }
        #expect(count == file.numberOfTests)
    }

    @Test("X25519: valid cases agree; acceptable ones agree unless the secret is all zero, which we refuse")
    func x25519() throws {
        let file = try Vectors.load(Wycheproof.File<Wycheproof.XdhGroup>.self, "wycheproof/x25519_test.json")
        var count = 0
        for group in file.testGroups {
            #expect(group.curve == "curve25519")
            for t in group.tests {
                count += 1
                let id = Comment(rawValue: "tcId \(t.tcId): \(t.comment) \(t.flags)")
                let expected = hex(t.shared)
                let zero = expected.allSatisfy { $0 == 0 }
                #expect(t.flags.contains("ZeroSharedSecret") == zero, id)
                let shared = X25519.sharedSecret(privateKey: SecretBytes(hex(t.private)), peerPublicKey: hex(t.public))?.bytes
                switch t.result {
                case .valid:
                    #expect(!zero, id)
                    #expect(shared == expected, id)
                case .acceptable:
                    if zero {
                        #expect(t.flags.contains("LowOrderPublic"), id)
                        #expect(shared == nil, id)
                    } else {
                        #expect(shared == expected, id)
                    }
                case .invalid:
                    #expect(shared == nil, id)
                }
            }
        }
        #expect(count == file.numberOfTests)
    }
}

/// The parts of the Wycheproof JSON schemas (v1) these tests read.
enum Wycheproof {
    struct File<Group: Decodable>: Decodable {
        let algorithm: String
        let numberOfTests: Int
        let testGroups: [Group]
    }

    enum Result: String, Decodable {
        case valid, invalid, acceptable
    }

    struct AeadGroup: Decodable {
        let ivSize: Int
        let keySize: Int
        let tagSize: Int
        let tests: [Case]
        struct Case: Decodable {
            let tcId: Int
            let comment: String
            let flags: [String]
            let key, iv, aad, msg, ct, tag: String
            let result: Result
        }
    }

    struct EddsaGroup: Decodable {
        let publicKey: PublicKey
        let tests: [Case]
        struct PublicKey: Decodable { let pk: String }
        struct Case: Decodable {
            let tcId: Int
            let comment: String
            let msg, sig: String
            let result: Result
        }
    }

    struct HkdfGroup: Decodable {
        let tests: [Case]
        struct Case: Decodable {
            let tcId: Int
            let comment: String
            let ikm, salt, info, okm: String
            let size: Int
            let result: Result
        }
    }

    struct MacGroup: Decodable {
        let tagSize: Int
        let tests: [Case]
        struct Case: Decodable {
            let tcId: Int
            let comment: String
            let key, msg, tag: String
            let result: Result
        }
    }

    struct XdhGroup: Decodable {
        let curve: String
        let tests: [Case]
        struct Case: Decodable {
            let tcId: Int
            let comment: String
            let flags: [String]
            let `public`, `private`, shared: String
            let result: Result
        }
    }
}
