/// Where a token stands at a given moment, derived from its record and the current time.
///
/// Revocation wins over expiry: a revoked token stays `revoked` after it expires.
public enum TokenState: String, Sendable, CaseIterable {
    /// Issued, not revoked, and `now < expiresAt`.
    case active
    /// Not revoked, and `now >= expiresAt`.
    case expired
    /// Revoked at some time (`revokedAt != nil`), whether or not it has expired since.
    case revoked
}
