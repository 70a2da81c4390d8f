/// The five claims of a ZTP token (ZTP-1 section 7).
public struct TokenClaims: Equatable, Sendable {
    /// The client id (`sub`), `[A-Za-z0-9._@-]{1,64}`.
    public var subject: String
    public var role: String
    /// Issued-at and expiry, Unix seconds.
    public var issuedAt: Int64
    public var expiresAt: Int64
    /// Unique token id, the handle for revocation.
    public var id: String

    public init(subject: String, role: String, issuedAt: Int64, expiresAt: Int64, id: String) {
        self.subject = subject
        self.role = role
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.id = id
    }

    /// Whether `text` is a valid client id: 1 to 64 of `A-Z a-z 0-9 . _ @ -` (section 3.5 rule 3).
    public static func isValidClientID(_ text: String) -> Bool {
        let bytes = text.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "@"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }
}
