import Foundation
import Testing
import ZTPClient
import ZTPCore

/// The management API through its generated handler layer and real middlewares, in process:
/// validation, errors, authentication, and the effects on live ZTP sessions.
@Suite("Management API in process")
struct InProcessAPITests {
    @Test("/v1 needs the admin key (401 with WWW-Authenticate: Bearer); health needs none")
    func authentication() async throws {
        try await withInProcessAPI { api in
            let refused = try await api.send(.get, "/v1/server", authorized: false)
            #expect(refused.status == 401)
            #expect(refused.headers[.wwwAuthenticate] == "Bearer")
            #expect(refused.problem["title"].string == "Unauthorized")
            #expect(try await api.send(.get, "/healthz", authorized: false).status == 200)
            let server = try await api.send(.get, "/v1/server")
            #expect(server.status == 200)
            #expect(server.json["protocol"].string == "ZTP/1")
            #expect(server.json["ztp_listen"].string == "127.0.0.1:\(api.ztpPort)")
        }
    }

    @Test("POST /v1/tokens checks every field and the media type, naming what is wrong")
    func tokenValidation() async throws {
        try await withInProcessAPI { api in
            let cases: [(String, Int, String)] = [
                (#"{"client_id":"bad id","role":"user"}"#, 400, "client_id must match"),
                (#"{"client_id":"a","role":"root"}"#, 400, "role must be one of: admin, observer, user"),
                (#"{"client_id":"a","role":"user","ttl_seconds":0}"#, 400, "ttl_seconds must be from 1"),
                (#"{"client_id":"a","role":"user","ttl_seconds":"x"}"#, 400, "field 'ttl_seconds' must be an integer"),
                (#"{"role":"user"}"#, 400, "missing field 'client_id'"),
                ("[]", 400, "the request body must be an object"),
                ("{", 400, "the request body is not valid JSON"),
            ]
            for (body, status, detail) in cases {
                let answer = try await api.send(.post, "/v1/tokens", json: body)
                #expect(answer.status == status, "\(body)")
                #expect(answer.problem["detail"].string?.contains(detail) == true, "\(body): \(answer.problem)")
            }
            let wrongType = try await api.send(.post, "/v1/tokens", json: #"{"client_id":"a","role":"user"}"#, contentType: "text/plain")
            #expect(wrongType.status == 415)
            let charset = try await api.send(.post, "/v1/tokens", json: #"{"client_id":"a","role":"user","ttl_seconds":null}"#,
                                             contentType: "Application/JSON; charset=utf-8")
            #expect(charset.status == 201)
            #expect(try #require(charset.json["expires_at"].date).timeIntervalSince(try #require(charset.json["issued_at"].date)) == 3600)
        }
    }

    @Test("paging and filter parameters outside the spec's ranges and enums are 400")
    func parameters() async throws {
        try await withInProcessAPI { api in
            for (template, query) in [("/v1/sessions", "limit=0"), ("/v1/sessions", "limit=1001"), ("/v1/sessions", "offset=-1"),
                                      ("/v1/sessions", "limit=abc"), ("/v1/sessions", "sort=bogus"), ("/v1/tokens", "state=gone"),
                                      ("/v1/audit", "limit=0")] {
                let answer = try await api.send(.get, template, query: query)
                #expect(answer.status == 400, "\(template)?\(query)")
                #expect(answer.headers[.contentType] == "application/problem+json")
            }
            #expect(try await api.send(.get, "/v1/sessions", query: "limit=1000&offset=5&sort=bytes_in&order=desc").status == 200)
        }
    }

    @Test("a revoked token's live sessions all end with TOKEN_REVOKED before the 204; a second revoke is 409")
    func revocation() async throws {
        try await withInProcessAPI { api in
            let (jti, token) = try await api.issueToken(clientID: "dave")
            var clients: [ZTPClient] = []
            for _ in 0..<5 { clients.append(try await api.connect(token: token)) }
            let other = try await api.connect(token: try await api.issueToken(clientID: "erin").token)
            #expect(try await api.send(.get, "/v1/sessions", query: "client_id=dave").json["total"].int == 5)

            #expect(try await api.send(.delete, "/v1/tokens/{jti}", parameters: ["jti": jti]).status == 204)
            // The answer waited for the closes: nothing of dave's is registered any more.
            #expect(api.services.registry.sessions(tokenID: jti).isEmpty)
            for client in clients {
                #expect(await client.closed().code == .closedByServer(.tokenRevoked))
            }
            #expect(try await other.ping() >= 0)
            let again = try await api.send(.delete, "/v1/tokens/{jti}", parameters: ["jti": jti])
            #expect(again.status == 409)
            #expect(try await api.send(.get, "/v1/tokens/{jti}", parameters: ["jti": jti]).json["state"].string == "revoked")
            await other.close()
        }
    }

    @Test("terminating a session is audited with the caller's address; then it is 404")
    func terminate() async throws {
        try await withInProcessAPI { api in
            let client = try await api.connect(token: try await api.issueToken(clientID: "frank").token)
            let listed = try await api.send(.get, "/v1/sessions")
            let id = try #require(listed.json["sessions"][0]["id"].string)
            #expect(listed.json["sessions"][0]["remote_address"].string?.hasPrefix("127.0.0.1:") == true)
            let detail = try await api.send(.get, "/v1/sessions/{id}", parameters: ["id": id])
            #expect(detail.json["streams"].exists)

            let badStream = try await api.send(.delete, "/v1/sessions/{id}/streams/{stream_id}", parameters: ["id": id, "stream_id": "0"])
            #expect(badStream.status == 400)
            let closedStream = try await api.send(.delete, "/v1/sessions/{id}/streams/{stream_id}", parameters: ["id": id, "stream_id": "7"])
            #expect(closedStream.status == 404)

            #expect(try await api.send(.delete, "/v1/sessions/{id}", parameters: ["id": id]).status == 204)
            #expect(await client.closed().code == .closedByServer(.terminated))
            #expect(try await api.send(.get, "/v1/sessions/{id}", parameters: ["id": id]).status == 404)
            #expect(try await api.send(.delete, "/v1/sessions/{id}", parameters: ["id": id]).status == 404)
            let audit = try await api.send(.get, "/v1/audit").json["events"].array
            #expect(audit.contains { $0["action"].string == "session.terminated" && $0["detail"].string?.contains("from 192.0.2.7") == true })
        }
    }
}
