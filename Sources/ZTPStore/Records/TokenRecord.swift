import Foundation

/// The metadata of one issued token, as the store keeps it. Never the token value itself.
///
/// `jti` is unique across the store. Dates round-trip through the store exactly.
public struct TokenRecord: Sendable, Equatable, Codable {
    public var jti: String
    public var clientID: String
    public var role: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?

    public init(jti: String, clientID: String, role: String, issuedAt: Date, expiresAt: Date, revokedAt: Date? = nil) {
        self.jti = jti
        self.clientID = clientID
        self.role = role
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// `revoked` if `revokedAt != nil`, else `expired` if `now >= expiresAt`, else `active`.
    public func state(at now: Date) -> TokenState {
        if revokedAt != nil { return .revoked }
        return now >= expiresAt ? .expired : .active
    }
}
