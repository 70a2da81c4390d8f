import Foundation
import Testing
import ZTPTestSupport

extension ManagementAPITests {
    /// Every error status the API promises, each as RFC 9457 problem+json.
    @Suite("Management API: errors")
    struct Errors {
        static let json = ["Content-Type": "application/json"]

        /// Checks the problem details of an error response.
        static func expectProblem(
            _ response: HTTPTestResponse, _ status: Int, _ what: String,
            detail: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
        ) {
            #expect(response.status == status, "\(what): \(response.status) \(response.text)", sourceLocation: sourceLocation)
            #expect(response.headers["content-type"] == "application/problem+json", "\(what)", sourceLocation: sourceLocation)
            let problem = response.problem
            #expect(problem?.status == status, "\(what)", sourceLocation: sourceLocation)
            #expect(problem?.type == "about:blank", sourceLocation: sourceLocation)
            #expect(problem?.title.isEmpty == false, sourceLocation: sourceLocation)
            if let detail {
                #expect(problem?.detail.contains(detail) == true, "\(what): detail \(problem?.detail ?? "-")",
                        sourceLocation: sourceLocation)
            }
        }

        @Test("POST /v1/tokens: 400 for bad JSON and bad field values, naming the field")
        func badTokenRequests() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let cases: [(body: String, detail: String)] = [
                ("{", "not valid JSON"),
                ("", "request body"),
                ("[]", "request body"),
                ("null", "request body"),
                (#"{"role":"user"}"#, "client_id"),
                (#"{"client_id":"alice"}"#, "role"),
                (#"{"client_id":42,"role":"user"}"#, "client_id"),
                (#"{"client_id":"","role":"user"}"#, "client_id"),
                (#"{"client_id":"has space","role":"user"}"#, "client_id"),
                (#"{"client_id":"a/b","role":"user"}"#, "client_id"),
                (#"{"client_id":"\#(String(repeating: "x", count: 65))","role":"user"}"#, "client_id"),
                (#"{"client_id":"alice","role":"root"}"#, "role"),
                (#"{"client_id":"alice","role":""}"#, "role"),
                (#"{"client_id":"alice","role":"user","ttl_seconds":0}"#, "ttl_seconds"),
                (#"{"client_id":"alice","role":"user","ttl_seconds":-1}"#, "ttl_seconds"),
                (#"{"client_id":"alice","role":"user","ttl_seconds":2592001}"#, "ttl_seconds"),
                (#"{"client_id":"alice","role":"user","ttl_seconds":"60"}"#, "ttl_seconds"),
                (#"{"client_id":"alice","role":"user","ttl_seconds":1.5}"#, "ttl_seconds"),
                (#"{"client_id":"alice","role":"user","ttl_seconds":1e30}"#, "ttl_seconds"),
            ]
            for (body, detail) in cases {
                let response = try await server.request("POST", "/v1/tokens", headers: Self.json, body: Array(body.utf8))
                Self.expectProblem(response, 400, "body \(body)", detail: detail)
            }
            #expect(try await server.getJSON("/v1/tokens")["total"].int == 0, "nothing was issued")
            // The longest valid client id is accepted.
            _ = try await server.issueToken(clientID: String(repeating: "x", count: 64))
        }

        @Test("POST /v1/tokens: 415 unless the body is application/json; a charset parameter is fine")
        func unsupportedMediaType() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let body = Array(#"{"client_id":"alice","role":"user"}"#.utf8)
            for contentType in ["text/plain", "application/x-www-form-urlencoded", "application/jsonx", nil] {
                let headers = contentType.map { ["Content-Type": $0] } ?? [:]
                let response = try await server.request("POST", "/v1/tokens", headers: headers, body: body)
                Self.expectProblem(response, 415, "Content-Type \(contentType ?? "none")", detail: "application/json")
            }
            let withCharset = try await server.request("POST", "/v1/tokens",
                                                       headers: ["Content-Type": "Application/JSON; charset=utf-8"], body: body)
            #expect(withCharset.status == 201)
        }

        @Test("POST /v1/tokens: 413 for a body over 64 KiB, while exactly 64 KiB is read")
        func bodyTooLarge() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let valid = #"{"client_id":"alice","role":"user"}"#
            let exact = Array((valid + String(repeating: " ", count: 65_536 - valid.utf8.count)).utf8)
            #expect(exact.count == 65_536)
            let accepted = try await server.request("POST", "/v1/tokens", headers: Self.json, body: exact)
            #expect(accepted.status == 201, "a body of exactly 65,536 bytes is within the limit")
            let tooLarge = try await server.request("POST", "/v1/tokens", headers: Self.json, body: exact + [0x20])
            Self.expectProblem(tooLarge, 413, "65,537 bytes", detail: "65536")
            #expect(try await server.getJSON("/v1/tokens")["total"].int == 1)
            let metrics = try await server.metrics()
            #expect(metrics.value("ztp_http_requests_total", ["route": "/v1/tokens", "method": "POST", "status": "413"]) == 1)
        }

        @Test("404 for unknown paths and unknown ids")
        func notFound() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            for target in ["/nope", "/v1", "/v1/", "/v1/nope", "/v1/sessions/abc/extra", "/v1/tokens/abc/streams/1",
                           "/healthz/x", "/v2/server", "/v1/sessions/"] {
                Self.expectProblem(try await server.request("GET", target), 404, "GET \(target)")
            }
            let unknown = "0123456789abcdef0123456789abcdef"
            Self.expectProblem(try await server.request("GET", "/v1/sessions/\(unknown)"), 404, "unknown session", detail: unknown)
            Self.expectProblem(try await server.request("DELETE", "/v1/sessions/\(unknown)"), 404, "unknown session")
            Self.expectProblem(try await server.request("DELETE", "/v1/sessions/\(unknown)/streams/1"), 404, "unknown session")
            Self.expectProblem(try await server.request("GET", "/v1/tokens/\(unknown)"), 404, "unknown token", detail: unknown)
            Self.expectProblem(try await server.request("DELETE", "/v1/tokens/\(unknown)"), 404, "unknown token")
            Self.expectProblem(try await server.request("GET", "/v1/tokens/not-a-jti"), 404, "malformed jti")
            let metrics = try await server.metrics()
            #expect(metrics.value("ztp_http_requests_total", ["route": "unmatched", "status": "404"]) == 9,
                    "unknown paths share one label value")
        }

        @Test("405 with Allow for a method a path is not served under")
        func methodNotAllowed() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let id = "0123456789abcdef0123456789abcdef"
            let cases: [(method: String, target: String, allow: String)] = [
                ("POST", "/healthz", "GET, HEAD"),
                ("DELETE", "/readyz", "GET, HEAD"),
                ("PUT", "/metrics", "GET, HEAD"),
                ("POST", "/openapi.yaml", "GET, HEAD"),
                ("PUT", "/v1/tokens", "GET, HEAD, POST"),
                ("PATCH", "/v1/tokens/\(id)", "DELETE, GET, HEAD"),
                ("POST", "/v1/sessions", "GET, HEAD"),
                ("PUT", "/v1/sessions/\(id)", "DELETE, GET, HEAD"),
                ("GET", "/v1/sessions/\(id)/streams/1", "DELETE"),
                ("DELETE", "/v1/server", "GET, HEAD"),
                ("POST", "/v1/roles", "GET, HEAD"),
                ("OPTIONS", "/v1/audit", "GET, HEAD"),
            ]
            for (method, target, allow) in cases {
                // Routing comes before authentication: the same answer with or without the key.
                for key in [ManagementAPIServer.adminKey, nil] {
                    let response = try await server.request(method, target, key: key)
                    Self.expectProblem(response, 405, "\(method) \(target)")
                    #expect(response.headers["allow"] == allow, "\(method) \(target)")
                }
            }
        }

        @Test("409 for revoking a revoked token")
        func conflict() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let jti = try #require(try await server.issueToken(clientID: "alice")["jti"].string)
            #expect(try await server.request("DELETE", "/v1/tokens/\(jti)").status == 204)
            Self.expectProblem(try await server.request("DELETE", "/v1/tokens/\(jti)"), 409, "second revoke", detail: jti)
        }

        @Test("400 for bad paging of the audit log")
        func badAuditQuery() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            for query in ["limit=0", "limit=1001", "limit=", "offset=-1", "offset=x"] {
                let name = String(query.prefix { $0 != "=" })
                Self.expectProblem(try await server.request("GET", "/v1/audit?\(query)"), 400, query, detail: name)
            }
        }

        @Test("a query name without '=' reads as empty, a '#' in a query is literal (both found by the request-target fuzzer: 500s)")
        func valuelessQueryName() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let listed = try await server.request("GET", "/v1/tokens?flag")
            #expect(listed.status == 200)
            let limited = try await server.request("GET", "/v1/tokens?limit")
            #expect(limited.status == 400, "an empty limit is not an integer")
            #expect(limited.problem?.detail.contains("'limit'") == true)
            #expect(try await server.request("GET", "/v1/sessions?=x&flag&limit=5").status == 200)
            // A "#" in a name or value is the name's or value's (found by the fuzzer: a 500).
            #expect(try await server.request("GET", "/v1/tokens?li#mit=5").status == 200)
            let fragment = try await server.request("GET", "/v1/tokens?limit=5#x")
            #expect(fragment.status == 400 && fragment.problem?.detail.contains("'limit'") == true, "\(fragment.body)")
            #expect(try await server.request("GET", "/v1/tokens?limit=-1&li#mit=5&=x,fffflag").status == 400)
            let log = (try? String(contentsOfFile: server.logFile, encoding: .utf8)) ?? ""
            #expect(!log.contains(ManagementAPIServer.adminKey), "the admin key never reaches the log")
        }
    }
}
