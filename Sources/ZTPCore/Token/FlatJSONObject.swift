/// The top-level string and number members of one JSON object, read strictly (RFC 8259).
///
/// Token headers and claims are small objects of fixed shape, and every handshake reads two of
/// them. `JSONDecoder` spent about 12% of the server's CPU per handshake on them (the decodes
/// and the generic-metadata lookups behind its `Decodable` paths), so this reader takes their
/// place. It accepts exactly what RFC 8259 calls JSON text with an object at the top; nested
/// values, booleans and null are checked and then dropped (`.other`), so a claim of the wrong
/// type is seen as such. Duplicate member names are refused, which RFC 7515 section 5.2 allows
/// and which leaves no doubt about which `alg` or `exp` counts.
struct FlatJSONObject {
    enum Value: Equatable {
        case string(String)
        case number(Double)
        /// true, false, null, an array or an object.
        case other
    }

    /// Nesting deeper than this is refused rather than followed.
    static let maxDepth = 32

    private(set) var members: [String: Value] = [:]

    subscript(name: String) -> Value? { members[name] }

    func string(_ name: String) -> String? {
        if case .string(let value)? = members[name] { return value }
        return nil
    }

    /// A finite number; `1e999` is refused like a string would be.
    func number(_ name: String) -> Double? {
        if case .number(let value)? = members[name], value.isFinite { return value }
        return nil
    }

    init?(_ bytes: [UInt8]) {
        var reader = Reader(bytes: bytes)
        guard let members = reader.topLevelObject() else { return nil }
        self.members = members
    }
}

private struct Reader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func topLevelObject() -> [String: FlatJSONObject.Value]? {
        // Strings are copied out byte for byte, so the input must be UTF-8 as a whole.
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        skipWhitespace()
        guard take(UInt8(ascii: "{")) else { return nil }
        var members: [String: FlatJSONObject.Value] = [:]
        skipWhitespace()
        if !take(UInt8(ascii: "}")) {
            repeat {
                skipWhitespace()
                guard let name = string() else { return nil }
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { return nil }
                skipWhitespace()
                guard let value = value(depth: 1), members.updateValue(value, forKey: name) == nil else { return nil }
                skipWhitespace()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
        }
        skipWhitespace()
        return index == bytes.count ? members : nil
    }

    // MARK: Values

    private mutating func value(depth: Int) -> FlatJSONObject.Value? {
        guard let byte = peek() else { return nil }
        switch byte {
        case UInt8(ascii: "\""): return string().map { .string($0) }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return number().map { .number($0) }
        case UInt8(ascii: "t"): return literal("true") ? .other : nil
        case UInt8(ascii: "f"): return literal("false") ? .other : nil
        case UInt8(ascii: "n"): return literal("null") ? .other : nil
        case UInt8(ascii: "["), UInt8(ascii: "{"): return skipContainer(depth: depth) ? .other : nil
        default: return nil
        }
    }

    /// Checks an array or object without keeping it.
    private mutating func skipContainer(depth: Int) -> Bool {
        guard depth < FlatJSONObject.maxDepth else { return false }
        let isObject = bytes[index] == UInt8(ascii: "{")
        let close = isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")
        index += 1
        skipWhitespace()
        if take(close) { return true }
        repeat {
            skipWhitespace()
            if isObject {
                guard string() != nil else { return false }
                skipWhitespace()
                guard take(UInt8(ascii: ":")) else { return false }
                skipWhitespace()
            }
            guard value(depth: depth + 1) != nil else { return false }
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(close)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() -> Double? {
        let start = index
        _ = take(UInt8(ascii: "-"))
        if take(UInt8(ascii: "0")) {
            // No leading zeros: "01" is not a number.
        } else if digits() == 0 {
            return nil
        }
        if take(UInt8(ascii: ".")), digits() == 0 { return nil }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard digits() > 0 else { return nil }
        }
        return Double(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
        return index - start
    }

    /// A string with its escapes resolved; lone surrogates and raw control characters are refused.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let bytes = self.bytes
        var text = ""
        var run = index  // start of the bytes not yet copied out
        // A run between escapes is appended as one string (a copy of its bytes): scalar by scalar
        // it was a quarter of the token verifier's time in the fuzz build's profile.
        func flush(upTo end: Int) {
            text += String(decoding: bytes[run..<end], as: UTF8.self)
        }
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: "\""):
                flush(upTo: index)
                index += 1
                return text
            case UInt8(ascii: "\\"):
                flush(upTo: index)
                index += 1
                guard let scalar = escape() else { return nil }
                text.unicodeScalars.append(scalar)
                run = index
            case 0x00..<0x20:
                return nil
            default:
                index += 1
            }
        }
        return nil
    }

    private mutating func escape() -> Unicode.Scalar? {
        guard let byte = peek() else { return nil }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            guard let unit = hex4() else { return nil }
            switch unit {
            case 0xD800...0xDBFF:
                guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
            case 0xDC00...0xDFFF:
                return nil
            default:
                return Unicode.Scalar(unit)
            }
        default:
            return nil
        }
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    // MARK: Bytes

    private mutating func literal(_ word: String) -> Bool {
        let count = word.utf8.count
        guard index + count <= bytes.count, word.utf8.elementsEqual(bytes[index..<index + count]) else { return false }
        index += count
        return true
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }
}
