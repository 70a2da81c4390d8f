import Foundation

/// Issues HS256 tokens (ZTP-1 section 7):
/// `b64url(header) . b64url(claims) . b64url(HMAC-SHA-256(secret, signing))`.
public struct TokenMinter: Sendable {
    private let secret: SecretBytes

    public init(secret: SecretBytes) {
        self.secret = secret
    }

    static let header = #"{"alg":"HS256","typ":"JWT"}"#

    /// The claims as compact JSON with members in the spec's order, so that tokens are
    /// reproducible byte for byte (the test vectors rely on it).
    static func claimsJSON(_ claims: TokenClaims) -> String {
        #"{"sub":\#(jsonString(claims.subject)),"role":\#(jsonString(claims.role)),"iat":\#(claims.issuedAt),"exp":\#(claims.expiresAt),"jti":\#(jsonString(claims.id))}"#
    }

    public func mint(_ claims: TokenClaims) -> String {
        let signing = Base64URL.encode(Array(TokenMinter.header.utf8)) + "." + Base64URL.encode(Array(TokenMinter.claimsJSON(claims).utf8))
        let signature = HMACSHA256.authenticate(Array(signing.utf8), key: secret)
        return signing + "." + Base64URL.encode(signature)
    }

    /// A fresh random `jti`: 16 random bytes as 32 hex digits.
    public static func newTokenID() -> String {
        SecureRandom.bytes(16).lowercaseHex
    }
}

/// A JSON string literal with the escapes RFC 8259 requires.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case let s where s.value < 0x20:
            out += String(format: "\\u%04x", s.value)
        default:
            out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
