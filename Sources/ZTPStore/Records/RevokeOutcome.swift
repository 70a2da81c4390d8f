/// What `Store.revoke(jti:at:)` did.
public enum RevokeOutcome: Sendable, Equatable {
    /// The token was active or expired and is now revoked; the record as stored after the change.
    case revoked(TokenRecord)
    /// The token was revoked before; nothing changed and `revokedAt` keeps its first value.
    case alreadyRevoked(TokenRecord)
    /// No token with that jti is stored (never issued, or pruned).
    case unknown
}
