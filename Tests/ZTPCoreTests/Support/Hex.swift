/// Bytes from a hex string. Whitespace is ignored so long vectors can be wrapped; any other
/// non-hex character or an odd digit count is a bug in the test itself, so it traps.
func hex(_ s: String) -> [UInt8] {
    let digits = s.utf8.filter { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not a hex digit: \(c)")
        }
    }
    var out = [UInt8]()
    out.reserveCapacity(digits.count / 2)
    var i = digits.startIndex
    while i < digits.endIndex {
        out.append(nibble(digits[i]) << 4 | nibble(digits[i + 1]))
        i += 2
    }
    return out
}

extension Array where Element == UInt8 {
    /// Lowercase hex, the form the vector files use.
    var hexString: String {
        let table = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(count * 2)
        for byte in self {
            chars.append(table[Int(byte >> 4)])
            chars.append(table[Int(byte & 0x0F)])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}
