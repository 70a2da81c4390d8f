/// Parsing of the request target (RFC 9112 §3.2), which the daemon receives undecoded.
///
/// Percent-decoding (RFC 3986 §2.1) happens here rather than in libmicrohttpd so that a decoded
/// NUL cannot cut a C string short and an encoded "/" stays inside its path segment.
enum RequestTarget {
    /// The absolute path of an origin-form ("/a/b") or absolute-form ("http://host/a/b") target;
    /// nil for the asterisk and authority forms, which no route serves.
    static func originPath(_ target: String) -> Substring? {
        if target.first == "/" {
            return target[...]
        }
        // RFC 9112 §3.2.2: "a server MUST accept the absolute-form in requests".
        for scheme in ["http://", "https://"] where target.lowercased().hasPrefix(scheme) {
            let authorityAndPath = target.dropFirst(scheme.count)
            guard let slash = authorityAndPath.firstIndex(of: "/") else { return "/" }
            return authorityAndPath[slash...]
        }
        return nil
    }

    /// `text` with every "%HH" decoded; nil for a malformed escape or a result that is not UTF-8.
    static func decode(_ text: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue),
                  let low = iterator.next().flatMap(hexValue)
            else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The segments of an undecoded absolute path, each decoded after splitting on "/";
    /// "/" gives `[""]` and a trailing slash gives a trailing empty segment.
    static func pathSegments(_ rawPath: some StringProtocol) -> [String]? {
        guard rawPath.first == "/" else { return nil }
        var segments: [String] = []
        for raw in rawPath.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            guard let segment = decode(raw) else { return nil }
            segments.append(segment)
        }
        return segments
    }

    /// The query string again from libmicrohttpd's split arguments, still percent-encoded.
    /// "?flag" becomes "flag=": an empty value, since the generated code's URI parser refuses a
    /// name without "=" (a 500 before this, found by the request-target fuzzer).
    ///
    /// Bytes a query may not hold (RFC 3986) are percent-encoded on the way, "%" aside (the
    /// arguments are encoded already): a literal "#" in a name read as the start of a fragment
    /// to that parser, which then refused the whole query (a 500, found by the same fuzzer).
    static func query(_ arguments: [(name: String, value: String?)]) -> String {
        arguments.map { escaped($0.name) + "=" + escaped($0.value ?? "") }.joined(separator: "&")
    }

    private static func escaped(_ text: String) -> String {
        guard !text.utf8.allSatisfy(isQueryByte) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 8)
        for byte in text.utf8 {
            if isQueryByte(byte) {
                bytes.append(byte)
            } else {
                bytes += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Unreserved, sub-delimiters, ":", "@", "/", "?" (RFC 3986's query), and "%".
    private static func isQueryByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "-._~!$&'()*+,;=:@/?%".utf8.contains(byte)
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
