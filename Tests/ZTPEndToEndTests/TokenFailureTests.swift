import Foundation
import Testing
import ZTPClient
import ZTPCore

/// Every token failure of section 3.5, as the library client sees it: `connect` throws
/// `.closedByServer(code)`.
@Suite("Token failures")
struct TokenFailureTests {
    @Test("each bad token is refused with its code, and a good one still works")
    func refusals() async throws {
        try await withServer { server in
            let now = Int64(Date().timeIntervalSince1970)
            let otherSecret = SecretBytes(randomCount: 32)
            let forged = TokenMinter(secret: otherSecret).mint(TokenClaims(subject: "mallory", role: "admin", issuedAt: now,
                                                                          expiresAt: now + 600, id: TokenMinter.newTokenID()))
            let good = server.token(client: "alice", role: "user")
            let parts = good.split(separator: ".").map(String.init)
            let noneHeader = Base64URLText.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
            let cases: [(String, String, CloseCode)] = [
                ("signed with another secret", forged, .authFailed),
                ("garbage", "not-a-token", .authFailed),
                // HANDSHAKE_INIT carries 1 to 4096 bytes: outside that, the frame itself is refused.
                ("empty", "", .protocolError),
                ("over 4096 bytes", good + String(repeating: "A", count: 4_097 - good.utf8.count), .protocolError),
                ("signature cut off", parts[0] + "." + parts[1] + ".", .authFailed),
                ("alg none", noneHeader + "." + parts[1] + ".", .authFailed),
                ("bad client id", server.token(client: "no spaces allowed", role: "user"), .authFailed),
                ("expired", server.token(client: "alice", role: "user", ttl: 60, issuedAt: now - 120), .tokenExpired),
                ("issued too far ahead", server.token(client: "alice", role: "user", ttl: 600, issuedAt: now + 300), .tokenExpired),
                ("role not in the policy", server.token(client: "alice", role: "superuser"), .unknownRole),
            ]
            for (name, token, code) in cases {
                let error = await #expect(throws: ZTPClientError.self, "\(name)") {
                    try await server.connect(token: token)
                }
                #expect(error?.code == .closedByServer(code), "\(name): \(String(describing: error))")
            }
            let client = try await server.connect(token: good)
            #expect(client.session.clientID == "alice")
            #expect(client.session.role == "user")
        }
    }

    @Test("a revoked token: its live session gets CLOSE(TOKEN_REVOKED) at once, and a new connect is refused TOKEN_REVOKED")
    func revoked() async throws {
        try await withServer { server in
            let token = try await Self.issueWithCLI(server, client: "rev", role: "user")
            let live = try await server.connect(token: token)
            let jti = try Self.tokenID(token)
            let adminKey = try String(contentsOf: server.file("admin.key"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let response = try await HTTPExchange.send("DELETE", "/v1/tokens/\(jti)", port: server.httpPort, bearer: adminKey)
            #expect(response.status == 204, "revocation answered \(response.status): \(response.body)")
            let end = try await value(within: .seconds(5), of: "the revoked session's end") { await live.closed() }
            #expect(end.code == .closedByServer(.tokenRevoked))
            let error = await #expect(throws: ZTPClientError.self) { try await server.connect(token: token) }
            #expect(error?.code == .closedByServer(.tokenRevoked))
        }
    }

    /// `ztp-server token issue`, run against the live server's data directory.
    static func issueWithCLI(_ server: ServerProcess, client: String, role: String) async throws -> String {
        let result = try await ChildProcess.run(try TestPaths.serverBinary(),
                                                ["token", "issue", "--client", client, "--role", role, "--ttl", "600",
                                                 "--data-dir", server.dataDirectory.path])
        guard result.status == 0 else { throw E2EFailure("token issue failed (\(result.status)): \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `jti` claim of a token.
    static func tokenID(_ token: String) throws -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let claims = Base64URLText.decode(String(parts[1])),
              let object = try JSONSerialization.jsonObject(with: Data(claims)) as? [String: Any],
              let jti = object["jti"] as? String else { throw E2EFailure("cannot read the jti of \(token)") }
        return jti
    }
}
