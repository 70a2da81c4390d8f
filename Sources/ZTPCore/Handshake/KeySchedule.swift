/// The key schedule of ZTP-1 section 3.3 and the key update of section 5.
///
/// ```
/// th    = SHA-256(CH || SH)
/// prk   = HKDF-Extract(salt = th, ikm = dh)
/// k_c2s = HKDF-Expand(prk, "ZTP/1 c2s key", 32)
/// k_s2c = HKDF-Expand(prk, "ZTP/1 s2c key", 32)
/// sid   = HKDF-Expand(prk, "ZTP/1 session id", 16)
/// ```
public struct KeySchedule: Sendable {
    public let transcriptHash: [UInt8]
    public let clientToServer: SecretBytes
    public let serverToClient: SecretBytes
    public let sessionID: [UInt8]

    static let c2sLabel = Array("ZTP/1 c2s key".utf8)
    static let s2cLabel = Array("ZTP/1 s2c key".utf8)
    static let sessionLabel = Array("ZTP/1 session id".utf8)
    static let keyUpdateLabel = Array("ZTP/1 key update".utf8)
    /// "ZTP/1 server signature" || 0x00, the prefix of the signed message (section 3.2).
    static let signatureContext = Array("ZTP/1 server signature".utf8) + [0]

    /// - Parameters:
    ///   - dh: the X25519 shared secret (already checked not all-zero).
    ///   - clientHello: CH, the whole frame as sent.
    ///   - serverHello: SH, the whole frame as sent.
    public init(dh: SecretBytes, clientHello: [UInt8], serverHello: [UInt8]) {
        transcriptHash = SHA256.hash(parts: [clientHello, serverHello])
        var prk = HKDF.extract(salt: transcriptHash, ikm: dh)
        defer { ConstantTime.wipe(&prk) }
        var c2s = HKDF.expand(prk: prk, info: KeySchedule.c2sLabel, count: 32)!
        var s2c = HKDF.expand(prk: prk, info: KeySchedule.s2cLabel, count: 32)!
        clientToServer = SecretBytes(c2s)
        serverToClient = SecretBytes(s2c)
        ConstantTime.wipe(&c2s)
        ConstantTime.wipe(&s2c)
        sessionID = HKDF.expand(prk: prk, info: KeySchedule.sessionLabel, count: 16)!
    }

    /// The message the server signs: the context string, a zero byte, SHA-256(CH || SH_head).
    static func signedMessage(clientHello: [UInt8], serverHelloHead: [UInt8]) -> [UInt8] {
        signatureContext + SHA256.hash(parts: [clientHello, serverHelloHead])
    }

    /// `HKDF-Expand(prk = k_old, "ZTP/1 key update", 32)` (section 5).
    static func nextKey(after key: SecretBytes) -> SecretBytes {
        var next = HKDF.expand(prk: key, info: keyUpdateLabel, count: 32)!
        defer { ConstantTime.wipe(&next) }
        return SecretBytes(next)
    }

    /// `sid` as 32 lowercase hex digits: the session's name on both sides.
    public var sessionIDHex: String { sessionID.lowercaseHex }
}

extension Array where Element == UInt8 {
    /// Lowercase hex, two digits per byte.
    public var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses hex (either case); nil on odd length or a non-hex digit.
    public init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var i = 0
        while i < chars.count {
            guard let hi = value(chars[i]), let lo = value(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        self = out
    }
}
