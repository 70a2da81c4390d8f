import Testing
@testable import ZTPCore

/// Tokens (section 7) and the server's check of them, in the order of section 3.5.
@Suite("Tokens (sections 3.5 and 7)")
struct TokenTests {
    static let now = Peers.start
    static let header = #"{"alg":"HS256","typ":"JWT"}"#

    /// Claims JSON from raw JSON fragments, so that types and absences can be broken at will.
    static func claims(sub: String? = #""alice""#, role: String? = #""user""#, iat: String? = "1767225600",
                       exp: String? = "1767229200", jti: String? = #""0123456789abcdef""#) -> String {
        let members = [("sub", sub), ("role", role), ("iat", iat), ("exp", exp), ("jti", jti)]
            .compactMap { name, value in value.map { "\"\(name)\":\($0)" } }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// A compact JWS over exactly these JSON texts, signed with `secret` unless `signature` is given.
    static func token(header: String = header, claims: String = claims(), secret: SecretBytes = Peers.tokenSecret,
                      signature: [UInt8]? = nil) -> [UInt8] {
        let signing = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        let mac = signature ?? HMACSHA256.authenticate(Array(signing.utf8), key: secret)
        return Array((signing + "." + Base64URL.encode(mac)).utf8)
    }

    static func verify(_ token: [UInt8], now: Double = now, revoked: Set<String> = []) -> Result<TokenClaims, TokenVerifier.Failure> {
        Peers.verifier(now: now, revoked: revoked).verify(token)
    }

    static func code(_ token: [UInt8], now: Double = now, revoked: Set<String> = []) -> CloseCode? {
        verify(token, now: now, revoked: revoked).failureValue?.code
    }

    @Test("a well-formed token verifies and yields its claims")
    func valid() throws {
        let claims = try Self.verify(Self.token()).get()
        #expect(claims == TokenClaims(subject: "alice", role: "user", issuedAt: 1_767_225_600, expiresAt: 1_767_229_200,
                                      id: "0123456789abcdef"))
        let minted = try Self.verify(Peers.token()).get()
        #expect(minted == Peers.claims())
    }

    @Test("minting: header and claims are compact JSON in the spec's order, base64url without padding")
    func minting() {
        let text = TokenMinter(secret: Peers.tokenSecret).mint(Peers.claims(sub: "a\"b"))
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
        #expect(Base64URL.decode(parts[0]).map { String(decoding: $0, as: UTF8.self) } == #"{"alg":"HS256","typ":"JWT"}"#)
        #expect(Base64URL.decode(parts[1]).map { String(decoding: $0, as: UTF8.self) }
                == #"{"sub":"a\"b","role":"user","iat":1767225600,"exp":1767229200,"jti":"0123456789abcdef0123456789abcdef"}"#)
        #expect(TokenMinter.newTokenID().count == 32)
        #expect(TokenMinter.newTokenID() != TokenMinter.newTokenID())
    }

    // MARK: 1. Structure

    @Test("garbage and malformed compact forms are AUTH_FAILED",
          arguments: ["", "garbage", "a.b", "a.b.c.d", "..", "...", "eyJ.eyJ.", "not base64!.x.y", "a b.c.d"])
    func garbage(text: String) {
        #expect(Self.code(Array(text.utf8)) == .authFailed)
    }

    @Test("bytes that are not UTF-8, or a token with whitespace around it, are AUTH_FAILED")
    func notText() {
        #expect(Self.code([0xFF, 0xFE, 0x2E, 0x2E]) == .authFailed)
        #expect(Self.code(Self.token() + [0x0A]) == .authFailed)
        #expect(Self.code([0x20] + Self.token()) == .authFailed)
    }

    @Test("base64url padding or the standard alphabet in any part is AUTH_FAILED")
    func padding() throws {
        let good = String(decoding: Self.token(), as: UTF8.self)
        let parts = good.split(separator: ".").map(String.init)
        // The signature is 43 characters: standard base64 would pad it with one '='.
        #expect(parts[2].count == 43)
        #expect(Self.code(Array((good + "=").utf8)) == .authFailed)
        // A header whose base64url needs padding: with '=' it is refused, without it accepted.
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JW"}"#.utf8))
        #expect(header.count % 4 != 0)
        func signed(_ signing: String) -> [UInt8] {
            Array((signing + "." + Base64URL.encode(HMACSHA256.authenticate(Array(signing.utf8), key: Peers.tokenSecret))).utf8)
        }
        #expect(Self.code(signed(header + "." + parts[1])) == nil)
        #expect(Self.code(signed(header + "=." + parts[1])) == .authFailed)
        // '+' and '/' belong to the standard alphabet, not base64url.
        let standard = good.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        if standard != good { #expect(Self.code(Array(standard.utf8)) == .authFailed) }
        #expect(Base64URL.decode("ab+c") == nil && Base64URL.decode("ab/c") == nil && Base64URL.decode("abc=") == nil)
        #expect(Base64URL.decode("a") == nil)
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
    }

    @Test("alg must be exactly HS256: none, other algorithms, other spellings and absence are AUTH_FAILED",
          arguments: [#"{"alg":"none","typ":"JWT"}"#, #"{"alg":"None"}"#, #"{"alg":"HS512","typ":"JWT"}"#,
                      #"{"alg":"RS256","typ":"JWT"}"#, #"{"alg":"hs256"}"#, #"{"alg":"HS256 "}"#, #"{"typ":"JWT"}"#,
                      #"{"alg":256}"#, #"{"alg":null}"#, #"["HS256"]"#, #""HS256""#, "not json", ""])
    func algorithm(header: String) {
        // Correctly MACed with the server's secret: only the header is wrong.
        #expect(Self.code(Self.token(header: header)) == .authFailed)
    }

    @Test("alg none with an empty signature is AUTH_FAILED")
    func algNoneUnsigned() {
        let signing = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + Base64URL.encode(Array(Self.claims().utf8))
        #expect(Self.code(Array((signing + ".").utf8)) == .authFailed)
        #expect(Self.code(Array(signing.utf8)) == .authFailed)
    }

    @Test("missing or ill-typed claims are AUTH_FAILED",
          arguments: [
            TokenTests.claims(sub: nil), TokenTests.claims(role: nil), TokenTests.claims(iat: nil), TokenTests.claims(exp: nil), TokenTests.claims(jti: nil),
            TokenTests.claims(iat: #""1767225600""#), TokenTests.claims(iat: "true"), TokenTests.claims(iat: "false"), TokenTests.claims(iat: "null"),
            TokenTests.claims(exp: #""1767229200""#), TokenTests.claims(exp: "true"), TokenTests.claims(exp: "{}"), TokenTests.claims(exp: "[1767229200]"),
            TokenTests.claims(sub: "42"), TokenTests.claims(sub: "null"), TokenTests.claims(sub: "true"), TokenTests.claims(role: "[\"user\"]"), TokenTests.claims(role: "1"),
            TokenTests.claims(jti: "123"), TokenTests.claims(jti: "null"), "[]", "\"alice\"", "null", "not json", "",
          ])
    func claimTypes(claims: String) {
        #expect(Self.code(Self.token(claims: claims)) == .authFailed, "\(claims)")
    }

    @Test("extra header members and extra claims are ignored")
    func extraMembers() {
        let claims = #"{"sub":"alice","role":"user","iat":1767225600,"exp":1767229200,"jti":"x","aud":"ztp","nbf":0}"#
        #expect(Self.code(Self.token(header: #"{"typ":"JWT","alg":"HS256","kid":"1"}"#, claims: claims)) == nil)
    }

    // MARK: 2. Signature

    @Test("a wrong, truncated, extended or empty signature is AUTH_FAILED")
    func signature() {
        #expect(Self.code(Self.token(secret: SecretBytes([UInt8](repeating: 1, count: 32)))) == .authFailed)
        let good = HMACSHA256.authenticate(Array((Base64URL.encode(Array(Self.header.utf8)) + "." +
                                                  Base64URL.encode(Array(Self.claims().utf8))).utf8), key: Peers.tokenSecret)
        #expect(Self.code(Self.token(signature: good)) == nil)
        #expect(Self.code(Self.token(signature: Array(good.prefix(31)))) == .authFailed)
        #expect(Self.code(Self.token(signature: good + [0])) == .authFailed)
        #expect(Self.code(Self.token(signature: [])) == .authFailed)
        var flipped = good
        flipped[17] ^= 0x10
        #expect(Self.code(Self.token(signature: flipped)) == .authFailed)
        #expect(Self.verify(Self.token(signature: flipped)).failureValue?.reason == "bad signature")
    }

    @Test("changing the claims after signing breaks the signature")
    func tamperedClaims() {
        let original = String(decoding: Self.token(), as: UTF8.self).split(separator: ".").map(String.init)
        let admin = Base64URL.encode(Array(Self.claims(role: #""admin""#).utf8))
        #expect(Self.code(Array([original[0], admin, original[2]].joined(separator: ".").utf8)) == .authFailed)
    }

    // MARK: 3. Client id

    @Test("sub must match [A-Za-z0-9._@-]{1,64}",
          arguments: ["", String(repeating: "a", count: 65), "al ice", "alice/x", "alice+1", "élodie", "alice\n", "a:b", "a*"])
    func badSubject(sub: String) {
        #expect(Self.code(Self.token(claims: Self.claims(sub: jsonString(sub)))) == .authFailed)
        #expect(!TokenClaims.isValidClientID(sub))
    }

    @Test("valid client ids pass", arguments: ["a", String(repeating: "z", count: 64), "Alice.B_c@d-e", "0", "-_.@"])
    func goodSubject(sub: String) {
        #expect(Self.code(Self.token(claims: Self.claims(sub: jsonString(sub)))) == nil)
        #expect(TokenClaims.isValidClientID(sub))
    }

    // MARK: 4. Time

    @Test("expired at exactly exp, with no leeway; valid one second before")
    func expiry() {
        let token = Self.token(claims: Self.claims(exp: "1767229200"))
        #expect(Self.code(token, now: 1_767_229_199) == nil)
        #expect(Self.code(token, now: 1_767_229_199.999) == nil)
        #expect(Self.code(token, now: 1_767_229_200) == .tokenExpired)
        #expect(Self.code(token, now: 1_767_229_201) == .tokenExpired)
    }

    @Test("iat may be up to 60 s ahead of now, not more")
    func issuedInTheFuture() {
        let now = Self.now
        #expect(Self.code(Self.token(claims: Self.claims(iat: "\(Int(now) + 60)")), now: now) == nil)
        #expect(Self.code(Self.token(claims: Self.claims(iat: "\(Int(now) + 61)")), now: now) == .tokenExpired)
        #expect(Self.code(Self.token(claims: Self.claims(iat: "\(Int(now) + 60).5")), now: now) == .tokenExpired)
        #expect(Self.code(Self.token(claims: Self.claims(iat: "0")), now: now) == nil)
    }

    // MARK: 5, 6. Role and revocation

    @Test("a role outside the policy is UNKNOWN_ROLE")
    func unknownRole() {
        #expect(Self.code(Self.token(claims: Self.claims(role: #""root""#))) == .unknownRole)
        #expect(Self.code(Self.token(claims: Self.claims(role: #""""#))) == .unknownRole)
        #expect(Self.code(Self.token(claims: Self.claims(role: #""Admin""#))) == .unknownRole)
        for role in Peers.roles { #expect(Self.code(Self.token(claims: Self.claims(role: jsonString(role)))) == nil) }
    }

    @Test("a revoked jti is TOKEN_REVOKED")
    func revoked() {
        #expect(Self.code(Self.token(), revoked: ["0123456789abcdef"]) == .tokenRevoked)
        #expect(Self.code(Self.token(), revoked: ["something else"]) == nil)
    }

    // MARK: Order

    @Test("checks run in section 3.5's order: the first failing step decides the code")
    func order() {
        let expired = "1000"
        // 2 before 1 (the note to 3.5; both AUTH_FAILED): broken claims under a wrong signature
        // are refused on the signature, before any JSON is read; under the right one, on the claims.
        let broken = Self.verify(Self.token(claims: Self.claims(iat: #""x""#), secret: SecretBytes([UInt8](repeating: 1, count: 32))))
        #expect(broken.failureValue?.code == .authFailed)
        #expect(broken.failureValue?.reason == "bad signature")
        #expect(Self.verify(Self.token(claims: Self.claims(iat: #""x""#))).failureValue?.reason == "malformed token claims")
        // 2 before 4: a wrong signature on an expired token -> AUTH_FAILED.
        #expect(Self.code(Self.token(claims: Self.claims(exp: expired), secret: SecretBytes([UInt8](repeating: 1, count: 32)))) == .authFailed)
        // 3 before 4: a bad sub on an expired token -> AUTH_FAILED.
        #expect(Self.code(Self.token(claims: Self.claims(sub: #""""#, exp: expired))) == .authFailed)
        // 4 before 5 and 6: expired, unknown role, revoked -> TOKEN_EXPIRED.
        #expect(Self.code(Self.token(claims: Self.claims(role: #""root""#, exp: expired)), revoked: ["0123456789abcdef"]) == .tokenExpired)
        #expect(Self.code(Self.token(claims: Self.claims(role: #""root""#, iat: "1767300000")), revoked: ["0123456789abcdef"]) == .tokenExpired)
        // 5 before 6: unknown role and revoked -> UNKNOWN_ROLE.
        #expect(Self.code(Self.token(claims: Self.claims(role: #""root""#)), revoked: ["0123456789abcdef"]) == .unknownRole)
        // A bad sub on a token with an unknown role -> AUTH_FAILED.
        #expect(Self.code(Self.token(claims: Self.claims(sub: #""a b""#, role: #""root""#))) == .authFailed)
    }

    // MARK: On the wire

    @Test("each refused token reaches the client as CLOSE(0, code) under k_s2c seq 0, and nothing else",
          arguments: [
            (TokenTests.claims(exp: "1000"), CloseCode.tokenExpired), (TokenTests.claims(role: #""root""#), .unknownRole),
            (TokenTests.claims(sub: #""""#), .authFailed), (TokenTests.claims(iat: "true"), .authFailed),
          ])
    func refusedOnTheWire(claims: String, code: CloseCode) throws {
        var pump = Pump(client: Peers.client(token: Self.token(claims: claims)), server: Peers.server())
        pump.run()
        let (clientEvents, serverEvents) = pump.takeEvents()
        #expect(serverEvents == [.closed(.local(code))])
        #expect(peerClose(in: clientEvents) == code)
        #expect(clientEvents.count == 1)
        #expect(pump.server.handshake.authenticationFailure?.code == code)
        // SERVER_HELLO, then exactly one CLOSE frame with a 2-byte code and a short reason.
        #expect(pump.serverSent.count > 152 + 24 + 2 + 16)
        #expect(Array(pump.serverSent[152..<164]) == Array(rawHeader(type: 4, length: 0).prefix(12)))
    }

    @Test("a revoked token is refused on the wire with TOKEN_REVOKED")
    func revokedOnTheWire() {
        var pump = Pump(client: Peers.client(), server: Peers.server(verifier: Peers.verifier(revoked: [Peers.claims().id])))
        pump.run()
        #expect(peerClose(in: pump.clientEvents) == .tokenRevoked)
        #expect(pump.clientEvents == [.closed(.peerClosed(.tokenRevoked, reason: "token revoked"))])
    }

    @Test("a token over 4096 bytes fails the HANDSHAKE_INIT length limit: PROTOCOL_ERROR on the header alone")
    func oversize() throws {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: 4097)
        var client = Peers.client(token: long)
        var server = Peers.server()
        let initFrame = Peers.handshakeInit(&client, &server, now: Peers.start)
        #expect(initFrame.count == 24 + 4097 + 16)
        // Only the header: the server must not wait for the 4113 bytes behind it.
        let events = server.receive(Array(initFrame.prefix(24)), now: Peers.start)
        #expect(protocolError(in: events)?.kind == .lengthLimit)
        #expect(protocolError(in: events)?.code == .protocolError)
        let close = server.takeOutbound()
        #expect(client.receive(close, now: Peers.start) == [.closed(.peerClosed(.protocolError, reason: "length_limit"))])

        // 4096 bytes pass the length limit and fail the token check instead.
        var pump = Pump(client: Peers.client(token: [UInt8](repeating: UInt8(ascii: "a"), count: 4096)), server: Peers.server())
        pump.run()
        #expect(peerClose(in: pump.clientEvents) == .authFailed)
        #expect(TokenVerifier(secret: Peers.tokenSecret, now: { 0 }, isKnownRole: { _ in true }, isRevoked: { _ in false })
            .verify([UInt8](repeating: UInt8(ascii: "a"), count: 4097)).failureValue?.code == .authFailed)
    }

    @Test("an empty token fails HANDSHAKE_INIT's lower length limit")
    func emptyToken() {
        var pump = Pump(client: Peers.client(token: []), server: Peers.server())
        pump.run()
        #expect(protocolError(in: pump.serverEvents)?.kind == .lengthLimit)
        #expect(peerClose(in: pump.clientEvents) == .protocolError)
    }
}
