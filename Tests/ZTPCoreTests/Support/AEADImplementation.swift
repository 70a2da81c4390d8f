import Testing
import ZTPCore

/// The two ChaCha20-Poly1305 implementations, so one test runs against each.
enum AEADImplementation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case libsodium
    case libcrypto

    var cipher: any AEADCipher.Type {
        switch self {
        case .libsodium: ChaChaPoly.self
        case .libcrypto: RecordChaChaPoly.self
        }
    }

    var testDescription: String { rawValue }
}

// Instance forwarders: `#expect` and `#require` cannot take apart a call on an existential
// metatype (`aead.cipher.seal(...)`), but take an instance method call as usual.
extension AEADImplementation {
    func seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) -> [UInt8]? {
        cipher.seal(key: key, nonce: nonce, aad: aad, plaintext: plaintext)
    }

    func open(key: [UInt8], nonce: [UInt8], aad: [UInt8], sealed: [UInt8]) -> [UInt8]? {
        cipher.open(key: key, nonce: nonce, aad: aad, sealed: sealed)
    }

    func seal(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
              plaintext: UnsafeRawBufferPointer, ciphertext: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer) {
        cipher.seal(key: key, nonce: nonce, aad: aad, plaintext: plaintext, ciphertext: ciphertext, tag: tag)
    }

    func open(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
              ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer, plaintext: UnsafeMutableRawBufferPointer) -> Bool {
        cipher.open(key: key, nonce: nonce, aad: aad, ciphertext: ciphertext, tag: tag, plaintext: plaintext)
    }
}
