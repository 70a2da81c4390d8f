import CCrypto
import CSodium
#if canImport(Glibc)
import Glibc
#endif

/// ChaCha20-Poly1305 through OpenSSL 3's libcrypto EVP interface (see `AEADCipher`): the record
/// layer's cipher. On CPUs with AVX-512 it seals a 64 KiB frame about twice as fast as
/// libsodium 1.0.18 (docs/BENCHMARKS.md has the figures); at 1 KiB the two are even.
///
/// Each thread keeps one cipher context per direction, made once and reused: a frame sets only
/// key and nonce on it (`EVP_*Init_ex2` with no cipher), which costs a few stores, and no
/// context or cipher is fetched or allocated per frame. Contexts hold no state between calls
/// that another frame could see, so the sealers and openers stay plain `Sendable` values.
public enum RecordChaChaPoly: AEADCipher {
    public static func seal(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
                            plaintext: UnsafeRawBufferPointer, ciphertext: UnsafeMutableRawBufferPointer,
                            tag: UnsafeMutableRawBufferPointer) {
        precondition(key.count == keyCount && nonce.count == nonceCount && tag.count == tagCount)
        precondition(ciphertext.count == plaintext.count && plaintext.count <= Int(Int32.max))
        let context = EVPContexts.current.seal
        var written: Int32 = 0
        let sealed = EVP_EncryptInit_ex2(context, nil, key.u8, nonce.u8, nil) == 1
            && EVP_EncryptUpdate(context, nil, &written, aad.u8, Int32(aad.count)) == 1
            && EVP_EncryptUpdate(context, ciphertext.u8, &written, plaintext.u8, Int32(plaintext.count)) == 1
            && EVP_EncryptFinal_ex(context, nil, &written) == 1
            && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(tagCount), tag.baseAddress) == 1
        // Only a broken libcrypto fails with sizes checked above; sending on would leak plaintext.
        precondition(sealed, "libcrypto ChaCha20-Poly1305 failed to seal")
    }

    public static func open(key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer,
                            ciphertext: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer,
                            plaintext: UnsafeMutableRawBufferPointer) -> Bool {
        guard key.count == keyCount, nonce.count == nonceCount, tag.count == tagCount,
              plaintext.count == ciphertext.count, ciphertext.count <= Int(Int32.max) else { return false }
        let context = EVPContexts.current.open
        var written: Int32 = 0
        // The tag control takes a mutable pointer; it only reads.
        let expectedTag = UnsafeMutableRawPointer(mutating: tag.baseAddress!)
        let opened = EVP_DecryptInit_ex2(context, nil, key.u8, nonce.u8, nil) == 1
            && EVP_DecryptUpdate(context, nil, &written, aad.u8, Int32(aad.count)) == 1
            && EVP_DecryptUpdate(context, plaintext.u8, &written, ciphertext.u8, Int32(ciphertext.count)) == 1
            && EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tagCount), expectedTag) == 1
            && EVP_DecryptFinal_ex(context, nil, &written) == 1
        if !opened {
            // libcrypto decrypts before the tag is checked: what it wrote must not survive.
            if plaintext.count > 0 { sodium_memzero(plaintext.baseAddress!, plaintext.count) }
            return false
        }
        return true
    }
}

/// This thread's pair of ChaCha20-Poly1305 contexts, made on first use and freed when the
/// thread ends.
private final class EVPContexts {
    let cipher: OpaquePointer
    let seal: OpaquePointer
    let open: OpaquePointer

    private init() {
        guard let cipher = EVP_CIPHER_fetch(nil, "ChaCha20-Poly1305", nil),
              let seal = EVP_CIPHER_CTX_new(), let open = EVP_CIPHER_CTX_new(),
              EVP_EncryptInit_ex2(seal, cipher, nil, nil, nil) == 1,
              EVP_DecryptInit_ex2(open, cipher, nil, nil, nil) == 1 else {
            preconditionFailure("libcrypto has no ChaCha20-Poly1305 (OpenSSL 3 with the default provider is required)")
        }
        self.cipher = cipher
        self.seal = seal
        self.open = open
    }

    deinit {
        EVP_CIPHER_CTX_free(seal)
        EVP_CIPHER_CTX_free(open)
        EVP_CIPHER_free(cipher)
    }

    static var current: EVPContexts {
        if let existing = pthread_getspecific(threadKey) {
            return Unmanaged<EVPContexts>.fromOpaque(existing).takeUnretainedValue()
        }
        let made = EVPContexts()
        pthread_setspecific(threadKey, Unmanaged.passRetained(made).toOpaque())
        return made
    }

    private static let threadKey: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { pointer in
            guard let pointer else { return }
            Unmanaged<EVPContexts>.fromOpaque(pointer).release()
        }
        precondition(status == 0, "pthread_key_create failed")
        return key
    }()
}
