import CSodium
import FuzzSupport
import ZTPCore

/// The token verifier (header, claims, signature, then the claim checks). Input: one mode byte,
/// then the rest:
/// - mode 0: the rest is the token as received;
/// - mode 1: the rest is a claims object, signed with the known secret under the standard
///   header, so mutations get past the signature to the checks behind it;
/// - mode 2: the rest is "header JSON \xFF claims JSON", both signed with the known secret.
///
/// Invariants: a token is accepted only if its signature is the HMAC of its first two parts
/// under the secret (checked here independently) and the same token under another secret is
/// refused; an accepted token's subject is a valid client id, its role known, its id not
/// revoked, `now < exp` and `iat <= now + 60`; a refusal names a code a token can fail with
/// and its reason is one of the verifier's fixed texts, so it never quotes the token.
let tokenVerifierTarget = FuzzTarget(name: "token-verifier", seeds: tokenSeeds, run: { data in
    var input = FuzzInput(data)
    let mode = input.byte() % 3
    let rest = Array(input.rest())
    let token: [UInt8]
    switch mode {
    case 0:
        token = rest
    case 1:
        token = sign(header: Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), claims: rest)
    default:
        let split = rest.firstIndex(of: 0xFF) ?? rest.endIndex
        token = sign(header: Array(rest[..<split]), claims: Array(rest[min(split + 1, rest.endIndex)...]))
    }

    let result = verifier.verify(token)
    switch result {
    case .success(let claims):
        invariant(token.count <= TokenVerifier.maxTokenBytes, "accepted a token of \(token.count) bytes")
        let parts = token.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        invariant(parts.count == 3, "accepted a token with \(parts.count) parts")
        let signing = Array(token[..<(parts[0].count + 1 + parts[1].count)])
        invariant(base64URLDecode(parts[2]) == HMACSHA256.authenticate(signing, key: Fixtures.tokenSecret),
                  "accepted a token whose signature is not the HMAC of its first two parts")
        if case .success = otherVerifier.verify(token) { invariant(false, "accepted under the wrong secret") }
        invariant(TokenClaims.isValidClientID(claims.subject), "accepted subject \(claims.subject)")
        invariant(Fixtures.roles.contains(claims.role), "accepted role \(claims.role)")
        invariant(claims.id != Fixtures.revokedTokenID, "accepted a revoked token")
        invariant(Double(claims.expiresAt) >= Fixtures.unixNow, "accepted an expired token")
        invariant(Double(claims.issuedAt) <= Fixtures.unixNow + 61, "accepted a token from the future")
    case .failure(let failure):
        invariant([CloseCode.authFailed, .tokenExpired, .unknownRole, .tokenRevoked].contains(failure.code),
                  "refused with \(failure.code)")
        // Fixed texts only: a reason built from the input could quote the token (a fuzzer finds
        // tokens that equal a fixed text, so "does not contain the token" would be wrong).
        invariant(fixedReasons.contains(failure.reason), "refusal reason '\(failure.reason)' is not a fixed text")
    }
})

private let verifier = Fixtures.verifier()
private let fixedReasons: Set = [
    "token too long", "malformed token", "bad signature", "malformed token header", "unsupported alg",
    "malformed token claims", "bad client id", "token expired", "token issued in the future", "unknown role",
    "token revoked",
]
private let otherVerifier = Fixtures.verifier(secret: SecretBytes([UInt8](repeating: 0x5B, count: 32)))

private func sign(header: [UInt8], claims: [UInt8]) -> [UInt8] {
    let signing = base64URLEncode(header) + [UInt8(ascii: ".")] + base64URLEncode(claims)
    return signing + [UInt8(ascii: ".")] + base64URLEncode(HMACSHA256.authenticate(signing, key: Fixtures.tokenSecret))
}

/// base64url without padding, by libsodium (not instrumented): the harness's own encoder, a
/// loop per byte traced by libFuzzer's comparison hooks, was a sixth of this target's time, and
/// Foundation's with three string replacements a third before that.
private func base64URLEncode(_ bytes: [UInt8]) -> [UInt8] {
    let variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING
    var out = [UInt8](repeating: 0, count: sodium_base64_encoded_len(bytes.count, variant))
    _ = out.withUnsafeMutableBufferPointer { out in
        bytes.withUnsafeBufferPointer { bytes in
            out.baseAddress!.withMemoryRebound(to: CChar.self, capacity: out.count) {
                sodium_bin2base64($0, out.count, bytes.baseAddress, bytes.count, variant)
            }
        }
    }
    out.removeLast()  // the terminating NUL
    return out
}

private func base64URLDecode(_ text: some Collection<UInt8>) -> [UInt8]? {
    let text = Array(text)
    var out = [UInt8](repeating: 0, count: text.count * 3 / 4 + 1)
    var length = 0
    let status = out.withUnsafeMutableBufferPointer { out in
        text.withUnsafeBufferPointer { text in
            text.baseAddress!.withMemoryRebound(to: CChar.self, capacity: text.count) {
                sodium_base642bin(out.baseAddress!, out.count, $0, text.count, nil, &length, nil,
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING)
            }
        }
    }
    return status == 0 ? Array(out[..<length]) : nil
}

@Sendable private func tokenSeeds() -> [[UInt8]] {
    let now = Int64(Fixtures.unixNow)
    let claims = [
        Fixtures.claims(),
        Fixtures.claims(sub: "bob@example.org", role: "admin"),
        Fixtures.claims(role: "observer", iat: now + 59),
        Fixtures.claims(exp: now),
        Fixtures.claims(role: "intruder"),
        Fixtures.claims(jti: Fixtures.revokedTokenID),
        Fixtures.claims(sub: "bad id!"),
    ]
    let claimsJSON = [
        #"{"sub":"alice","role":"user","iat":1767225600,"exp":1767229200,"jti":"x"}"#,
        #"{"sub":"alice","role":"user","iat":1767225600.5,"exp":1.8e9,"jti":"\u0078"}"#,
        #"{"sub":"alice","role":"user","iat":-1e308,"exp":1e308,"jti":"x","extra":[1,{"a":null}]}"#,
        #"{"sub":"a","sub":"b","role":"user","iat":0,"exp":2e9,"jti":"y"}"#,
    ]
    let headers = [#"{"alg":"HS256"}"#, #"{"typ":"JWT","alg":"HS256","kid":"1"}"#, #"{"alg":"none"}"#]
    return claims.map { [0] + Fixtures.token($0) }
        + claimsJSON.map { [1] + Array($0.utf8) }
        + headers.map { [2] + Array($0.utf8) + [0xFF] + Array(claimsJSON[0].utf8) }
}
