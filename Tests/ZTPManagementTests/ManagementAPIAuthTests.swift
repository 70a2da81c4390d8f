import Foundation
import Testing

extension ManagementAPITests {
    /// `/v1/*` needs `Authorization: Bearer ADMIN_KEY`; the operational endpoints need nothing.
    @Suite("Management API: authentication")
    struct Auth {
        /// Every `/v1` operation the server has, with a body where it takes one.
        static let protectedOperations: [(method: String, target: String)] = [
            ("GET", "/v1/server"), ("GET", "/v1/roles"), ("GET", "/v1/audit"),
            ("GET", "/v1/sessions"), ("GET", "/v1/sessions/0123456789abcdef0123456789abcdef"),
            ("DELETE", "/v1/sessions/0123456789abcdef0123456789abcdef"),
            ("DELETE", "/v1/sessions/0123456789abcdef0123456789abcdef/streams/2"),
            ("POST", "/v1/tokens"), ("GET", "/v1/tokens"),
            ("GET", "/v1/tokens/0123456789abcdef0123456789abcdef"),
            ("DELETE", "/v1/tokens/0123456789abcdef0123456789abcdef"),
        ]

        @Test("every /v1 operation answers 401 with WWW-Authenticate: Bearer and a problem without the key")
        func keyRequired() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let body = Array(#"{"client_id":"mallory","role":"admin"}"#.utf8)
            for (method, target) in Self.protectedOperations {
                let response = try await server.request(method, target, key: nil,
                                                         headers: ["Content-Type": "application/json"],
                                                         body: method == "POST" ? body : [])
                #expect(response.status == 401, "\(method) \(target)")
                #expect(response.headers["www-authenticate"] == "Bearer", "\(method) \(target)")
                #expect(response.headers["content-type"] == "application/problem+json", "\(method) \(target)")
                #expect(response.problem?.status == 401)
                #expect(response.problem?.title == "Unauthorized")
                #expect(response.problem?.type == "about:blank")
            }
            // Nothing was issued by the refused POST.
            let tokens = try await server.getJSON("/v1/tokens")
            #expect(tokens["total"].int == 0)
        }

        @Test("a wrong key, another scheme or a key with extra bytes is refused; the scheme is case-insensitive")
        func wrongKeyRefused() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let key = ManagementAPIServer.adminKey
            let refused = [
                "Bearer wrong-key", "Bearer \(key)x", "Bearer \(key.dropLast())", "Bearer ", "Bearer",
                "Basic \(Data("admin:\(key)".utf8).base64EncodedString())", key, "Token \(key)",
            ]
            for header in refused {
                let response = try await server.request("GET", "/v1/server", headers: ["Authorization": header])
                #expect(response.status == 401, "Authorization: \(header)")
                #expect(response.headers["www-authenticate"] == "Bearer")
                #expect(response.problem?.status == 401)
            }
            for header in ["Bearer \(key)", "bearer \(key)", "BEARER \(key)"] {
                let response = try await server.request("GET", "/v1/server", headers: ["Authorization": header])
                #expect(response.status == 200, "Authorization: \(header)")
            }
            let metrics = try await server.metrics()
            #expect(metrics.value("ztp_http_auth_failures_total") == Double(refused.count))
            #expect(metrics.value("ztp_http_requests_total", ["route": "/v1/server", "method": "GET", "status": "401"])
                == Double(refused.count))
        }

        @Test("without ZTP_ADMIN_KEY the key is created in DATA_DIR/admin.key, mode 0600, kept; never in a log that is not a terminal")
        func adminKeyFile() async throws {
            let first = try await ManagementAPIServer(adminKeyInEnvironment: false)
            let directory = first.dataDirectory
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/admin.key"
            let key = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key.count == 64 && key.allSatisfy(\.isHexDigit))
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(try await first.request("GET", "/v1/server", key: key).status == 200)
            #expect(try await first.request("GET", "/v1/server").status == 401, "the test key is not in force")
            await first.stop(removeDirectory: false)
            let firstLog = try String(contentsOfFile: first.logFile, encoding: .utf8)
            #expect(!firstLog.contains(key), "stdout is a file here: the key is not printed")
            #expect(firstLog.contains(path), "the log names the file that holds the key")

            let second = try await ManagementAPIServer(dataDirectory: directory, adminKeyInEnvironment: false)
            #expect(try await second.request("GET", "/v1/server", key: key).status == 200, "the same key after restart")
            await second.stop(removeDirectory: false)
            let secondLog = try String(contentsOfFile: second.logFile, encoding: .utf8)
            #expect(!secondLog.contains(key))
        }

        @Test("a new admin key is printed once to stdout when stdout is a terminal, never to the logs")
        func adminKeyOnTerminal() async throws {
            let first = try await ManagementAPIServer(adminKeyInEnvironment: false, stdoutTerminal: true)
            let directory = first.dataDirectory
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let key = try String(contentsOfFile: directory + "/admin.key", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            await first.stop(removeDirectory: false)
            let printed = first.terminalOutput()
            #expect(printed.contains("admin key (also in \(directory)/admin.key): \(key)"), "printed: \(printed)")
            let stderrLog = try String(contentsOfFile: first.logFile, encoding: .utf8)
            #expect(!stderrLog.contains(key), "the logs (stderr) never carry it")

            let second = try await ManagementAPIServer(dataDirectory: directory, adminKeyInEnvironment: false,
                                                       stdoutTerminal: true)
            await second.stop(removeDirectory: false)
            #expect(!second.terminalOutput().contains(key), "printed once only")
        }

        @Test("health, readiness, metrics, the spec and the dashboard need no key")
        func publicEndpoints() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            for target in ["/healthz", "/readyz", "/metrics", "/openapi.yaml"] {
                let response = try await server.request("GET", target, key: nil)
                #expect(response.status == 200, "GET \(target)")
                #expect(response.headers["www-authenticate"] == nil)
            }
            // The dashboard is another engineer's; whether or not its files exist yet, they are
            // public: never 401.
            for target in ["/", "/index.html", "/app.css", "/js/main.js", "/js/views/sessions.js"] {
                let response = try await server.request("GET", target, key: nil)
                #expect([200, 404].contains(response.status), "GET \(target)")
            }
        }
    }
}
