/// Checks a token exactly as ZTP-1 section 3.5 orders it; each failure names its close code.
///
/// The clock, the role policy and the revocation check are injected so that tests (and the
/// server's in-memory revocation set) control them.
public struct TokenVerifier: Sendable {
    public static let maxTokenBytes = 4096
    /// "iat <= now + 60 (60 s for clock skew)".
    public static let allowedClockSkew: Double = 60

    private let secret: SecretBytes
    private let now: @Sendable () -> Double
    private let isKnownRole: @Sendable (String) -> Bool
    private let isRevoked: @Sendable (String) -> Bool

    /// - Parameters:
    ///   - now: the current Unix time in seconds.
    ///   - isKnownRole: whether the server's policy has this role.
    ///   - isRevoked: whether this `jti` is revoked.
    public init(secret: SecretBytes, now: @escaping @Sendable () -> Double,
                isKnownRole: @escaping @Sendable (String) -> Bool,
                isRevoked: @escaping @Sendable (String) -> Bool) {
        self.secret = secret
        self.now = now
        self.isKnownRole = isKnownRole
        self.isRevoked = isRevoked
    }

    /// Why a token was refused; `code` is what the CLOSE frame carries.
    public struct Failure: Error, Equatable, Sendable {
        public var code: CloseCode
        /// For logs and audit: which check failed. Never includes the token itself.
        public var reason: String
    }

    /// Seconds from now until the token's `exp` (negative once it has passed).
    public func secondsLeft(_ claims: TokenClaims) -> Double {
        Double(claims.expiresAt) - now()
    }

    public func verify(_ token: [UInt8]) -> Result<TokenClaims, Failure> {
        func fail(_ code: CloseCode, _ reason: String) -> Result<TokenClaims, Failure> {
            .failure(Failure(code: code, reason: reason))
        }
        guard token.count <= TokenVerifier.maxTokenBytes else { return fail(.authFailed, "token too long") }
        // Steps 1 and 2 end with the same code, so the signature is checked first (the note to
        // 3.5): bytes from a peer that does not hold the secret never reach the JSON reader.
        // Only the dots are found and the signature part decoded before the HMAC; a third dot
        // lands in the signature part, which base64url decoding then refuses.
        let dot = UInt8(ascii: ".")
        guard let firstDot = token.firstIndex(of: dot),
              let secondDot = token[(firstDot + 1)...].firstIndex(of: dot),
              let signature = Base64URL.decode(token[(secondDot + 1)...]) else {
            return fail(.authFailed, "malformed token")
        }
        // 2. Signature over the first two parts as sent, compared in constant time.
        guard HMACSHA256.verify(signature, message: Array(token[..<secondDot]), key: secret) else {
            return fail(.authFailed, "bad signature")
        }
        // 1. Structure: base64url parts, JSON objects, alg exactly HS256, typed claims.
        guard let headerBytes = Base64URL.decode(token[..<firstDot]),
              let claimBytes = Base64URL.decode(token[(firstDot + 1)..<secondDot]) else {
            return fail(.authFailed, "malformed token")
        }
        guard let header = FlatJSONObject(headerBytes), let alg = header.string("alg") else {
            return fail(.authFailed, "malformed token header")
        }
        guard alg == "HS256" else { return fail(.authFailed, "unsupported alg") }
        guard let object = FlatJSONObject(claimBytes),
              let claims = Claims(object) else {
            return fail(.authFailed, "malformed token claims")
        }
        // 3. Client id pattern.
        guard TokenClaims.isValidClientID(claims.sub) else { return fail(.authFailed, "bad client id") }
        // 4. Time: now < exp, no leeway; iat at most 60 s ahead.
        let current = now()
        guard current < claims.exp else { return fail(.tokenExpired, "token expired") }
        guard claims.iat <= current + TokenVerifier.allowedClockSkew else { return fail(.tokenExpired, "token issued in the future") }
        // 5. Role known to the policy.
        guard isKnownRole(claims.role) else { return fail(.unknownRole, "unknown role") }
        // 6. Not revoked.
        guard !isRevoked(claims.jti) else { return fail(.tokenRevoked, "token revoked") }
        return .success(TokenClaims(subject: claims.sub, role: claims.role,
                                    issuedAt: Int64(clampingSeconds: claims.iat),
                                    expiresAt: Int64(clampingSeconds: claims.exp), id: claims.jti))
    }
}

/// The five claims with their JSON types checked: strings, and finite numbers for the times.
private struct Claims {
    var sub: String
    var role: String
    var iat: Double
    var exp: Double
    var jti: String

    init?(_ object: FlatJSONObject) {
        guard let sub = object.string("sub"), let role = object.string("role"),
              let iat = object.number("iat"), let exp = object.number("exp"),
              let jti = object.string("jti") else { return nil }
        (self.sub, self.role, self.iat, self.exp, self.jti) = (sub, role, iat, exp, jti)
    }
}

extension Int64 {
    /// Whole seconds, clamped so absurd but finite claim values cannot trap.
    init(clampingSeconds value: Double) {
        if value >= 9.2e18 { self = .max } else if value <= -9.2e18 { self = .min } else { self = Int64(value.rounded(.down)) }
    }
}
