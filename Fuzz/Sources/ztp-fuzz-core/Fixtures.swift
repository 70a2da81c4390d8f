import ZTPCore

/// Fixed keys, secret and clocks, so that a recorded input replays byte for byte: with both
/// ephemeral keys fixed the key schedule, and so every sealed frame of a seed, is the same on
/// every run, and the fuzzer can mutate a session that really gets past the handshake.
enum Fixtures {
    /// Unix time the token verifier sees (2026-01-01T00:00:00Z).
    static let unixNow: Double = 1_767_225_600
    /// Monotonic time the connections start at.
    static let start: Double = 1_000
    static let tokenSecret = SecretBytes([UInt8](repeating: 0x5A, count: 32))
    static let identity = Ed25519.KeyPair(seed: SecretBytes([UInt8](repeating: 0x11, count: 32)))
    static let serverEphemeral = X25519.KeyPair(privateKey: SecretBytes([UInt8](repeating: 0x22, count: 32)))
    static let clientEphemeral = X25519.KeyPair(privateKey: SecretBytes([UInt8](repeating: 0x33, count: 32)))
    static let roles: Set<String> = ["admin", "user", "observer"]
    static let revokedTokenID = "revokedrevokedrevokedrevoked0000"

    static func verifier(secret: SecretBytes = tokenSecret) -> TokenVerifier {
        TokenVerifier(secret: secret, now: { unixNow }, isKnownRole: { roles.contains($0) },
                      isRevoked: { $0 == revokedTokenID })
    }

    static func claims(sub: String = "alice", role: String = "user", iat: Int64 = Int64(unixNow),
                       exp: Int64 = Int64(unixNow) + 3600, jti: String = "0123456789abcdef0123456789abcdef") -> TokenClaims {
        TokenClaims(subject: sub, role: role, issuedAt: iat, expiresAt: exp, id: jti)
    }

    static func token(_ claims: TokenClaims = claims()) -> [UInt8] {
        Array(TokenMinter(secret: tokenSecret).mint(claims).utf8)
    }

    /// Section 8's default policy: chat (1) and control (2); observers only control.
    @Sendable static func admission(stream: UInt32, role: String) -> CloseCode? {
        switch stream {
        case 1: return role == "observer" ? .forbidden : nil
        case 2: return nil
        default: return .unknownStream
        }
    }

    /// Small limits so the fuzzer reaches the stream-count and window rules quickly.
    static var parameters: SessionParameters {
        SessionParameters(maxStreams: 4, streamWindow: 4096, streamIdleTimeout: 30, heartbeatInterval: 15)
    }

    static func server() -> ServerConnection {
        var configuration = ServerHandshake.Configuration()
        configuration.parameters = parameters
        return ServerConnection(server: ServerHandshake(configuration: configuration, identity: identity, verifier: verifier(),
                                                        acceptedAt: start, ephemeral: serverEphemeral),
                                admission: admission)
    }

    static func client(token: [UInt8] = token()) -> ClientConnection {
        ClientConnection(token: token, trust: .pinned(identity.publicKey), now: start, ephemeral: clientEphemeral)
    }
}
