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
    static func query(_ arguments: [(name: String, value: String?)]) -> String {
        arguments.map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&")
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
