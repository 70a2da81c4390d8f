import CSodium

/// base64url without padding (RFC 4648 section 5), as JWS compact form uses it.
///
/// Through libsodium: its decoder is strict in the ways a token parser needs (only the URL-safe
/// alphabet, no padding, no whitespace, no stray bits in the last character) and runs in
/// constant time, and it costs a fraction of building a `String` for `Data(base64Encoded:)`.
enum Base64URL {
    private static let variant = Int32(sodium_base64_VARIANT_URLSAFE_NO_PADDING)

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        Sodium.ensureReady()
        let input = Array(bytes)
        guard !input.isEmpty else { return "" }
        let capacity = sodium_base64_encoded_len(input.count, variant)  // counts the trailing NUL
        var output = [UInt8](repeating: 0, count: capacity)
        input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.withMemoryRebound(to: CChar.self, capacity: capacity) {
                    _ = sodium_bin2base64($0, capacity, source.baseAddress, source.count, variant)
                }
            }
        }
        return String(decoding: output.prefix(capacity - 1), as: UTF8.self)
    }

    /// Strict decoding; nil unless every byte of `text` belongs to the encoding.
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        Sodium.ensureReady()
        let input = Array(text)
        guard !input.isEmpty else { return [] }
        var output = [UInt8](repeating: 0, count: input.count * 3 / 4 + 1)
        var length = 0
        // No end pointer: libsodium then fails unless it consumed the whole input.
        let status = input.withUnsafeBufferPointer { source in
            source.baseAddress!.withMemoryRebound(to: CChar.self, capacity: source.count) { characters in
                output.withUnsafeMutableBufferPointer { target in
                    sodium_base642bin(target.baseAddress!, target.count, characters, source.count, nil, &length, nil, variant)
                }
            }
        }
        guard status == 0 else { return nil }
        output.removeSubrange(length...)
        return output
    }

    static func decode(_ text: Substring) -> [UInt8]? { decode(Array(text.utf8)) }
}
