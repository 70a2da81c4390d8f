import Foundation
import Testing
import ZTPClient
import ZTPCore

extension ManagementAPITests {
    /// The server's own description, policy, audit log, health and lifecycle.
    @Suite("Management API: server, roles, audit, health")
    struct ServerInfo {
        @Test("GET /v1/server: the public key equals DATA_DIR/server.pub; addresses, fingerprint and limits")
        func server() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let info = try await server.getJSON("/v1/server")
            #expect(info.keys == ["version", "protocol", "started_at", "uptime_seconds", "ztp_listen", "http_listen",
                                  "server_public_key", "fingerprint", "sessions", "limits"])
            let key = try server.publicKeyHex
            #expect(key.count == 64)
            #expect(info["server_public_key"].string == key)
            let digest = SHA256.hash(try server.publicKey)
            #expect(info["fingerprint"].string == "SHA256:" + digest.prefix(8).map { String(format: "%02x", $0) }.joined())
            #expect(info["protocol"].string == "ZTP/1")
            #expect(info["version"].string?.isEmpty == false)
            #expect(info["ztp_listen"].string == "127.0.0.1:\(server.ztpPort)")
            #expect(info["http_listen"].string == "127.0.0.1:\(server.httpPort)")
            #expect(info["sessions"].int == 0)
            let startedAt = try #require(info["started_at"].date)
            #expect(abs(startedAt.timeIntervalSinceNow) < 60)
            #expect((info["uptime_seconds"].int ?? -1) >= 0)
            let limits = info["limits"]
            #expect(limits["max_streams"].int == 100)
            #expect(limits["stream_window"].int == 262_144)
            #expect(limits["stream_idle_timeout"].int == 30)
            #expect(limits["heartbeat_interval"].int == 15)
            #expect(limits["max_frame"].int == 65_536)
            #expect(limits["max_sessions"].int == 10_000)
            #expect(limits["handshake_timeout"].double == 10)

            let client = try await server.connect(token: try #require(try await server.issueToken(clientID: "alice")["token"].string))
            #expect(await managementAPIEventually { try await server.getJSON("/v1/server")["sessions"].int == 1 })
            await client.close()
        }

        @Test("GET /v1/roles: the policy in force, sorted by role")
        func roles() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let roles = try await server.getJSON("/v1/roles")["roles"].array
            #expect(roles.map { $0["name"].string } == ["admin", "observer", "user"])
            #expect(roles.map { $0["streams"].array.compactMap(\.int) } == [[1, 2], [2], [1, 2]])
            let user = ["ping", "time", "status", "echo", "whoami", "help"]
            #expect(roles.map { $0["commands"].array.compactMap(\.string) } == [user + ["sessions"], user, user])
        }

        @Test("GET /v1/audit: issued, revoked, terminated and failed authentication, newest first, paged")
        func audit() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let issued = try await server.issueToken(clientID: "alice")
            let token = try #require(issued["token"].string)
            let client = try await server.connect(token: token)
            #expect(try await server.request("DELETE", "/v1/sessions/\(client.sessionID)").status == 204)
            _ = try await managementAPIWithin(5, "the session to end") { await client.closed() }
            #expect(try await server.request("DELETE", "/v1/tokens/\(try #require(issued["jti"].string))").status == 204)
            _ = try await server.refusal(token: token)
            _ = try await server.refusal(token: "not-a-token")

            var events: [ManagementAPIJSON] = []
            let isFailure: (ManagementAPIJSON) -> Bool = { $0["action"].string == "auth.failed" }
            // Failed authentications are written about once a second, one row per address and minute.
            #expect(await managementAPIEventually {
                events = try await server.getJSON("/v1/audit")["events"].array
                return events.filter(isFailure).compactMap { $0["count"].int }.reduce(0, +) == 2 && events.count >= 4
            })
            let failures = events.filter(isFailure)
            // Both refusals came from 127.0.0.1 moments apart: one row counting 2 (two rows only
            // if a minute turned between them), with the latest failure's reason.
            #expect(failures.compactMap { $0["count"].int } == (failures.count == 1 ? [2] : [1, 1]))
            #expect(failures.count == 1 || failures.count == 2)
            #expect(failures[0]["detail"].string == "AUTH_FAILED malformed token from 127.0.0.1")
            #expect(failures.allSatisfy { $0["actor"].string == "ztp" })
            #expect(events.map { $0["action"].string } == failures.map { _ in "auth.failed" } + ["token.revoked", "session.terminated", "token.issued"])
            #expect(events.dropFirst(failures.count).map { $0["actor"].string } == ["admin-api", "admin-api", "admin-api"])
            #expect(events.dropFirst(failures.count).allSatisfy { $0["count"].int == 1 })
            for event in events {
                #expect(event.keys == ["id", "time", "actor", "action", "detail", "count"])
                #expect(event["time"].date != nil)
                #expect(event["detail"].string?.isEmpty == false)
            }
            let times = events.compactMap { $0["time"].date }
            #expect(times == times.sorted(by: >), "newest first")

            let page = try await server.getJSON("/v1/audit?limit=2&offset=2")
            #expect(page["total"].int == events.count)
            #expect(page["limit"].int == 2)
            #expect(page["offset"].int == 2)
            #expect(page["events"].array.map { $0["id"].int } == events[2..<min(4, events.count)].map { $0["id"].int })
        }

        @Test("healthz and readyz answer 200; openapi.yaml is this package's file")
        func healthAndSpec() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let health = try await server.request("GET", "/healthz", key: nil)
            #expect(health.status == 200)
            #expect(health.headers["content-type"] == "application/json; charset=utf-8")
            #expect(health.text == #"{"status":"ok"}"#)
            let ready = try await server.request("GET", "/readyz", key: nil)
            #expect(ready.status == 200)
            #expect(ready.text == #"{"status":"ready"}"#)
            let head = try await server.request("HEAD", "/healthz", key: nil)
            #expect(head.status == 200)
            #expect(head.body.isEmpty)

            let spec = try await server.request("GET", "/openapi.yaml", key: nil)
            #expect(spec.status == 200)
            #expect(spec.headers["content-type"] == "application/yaml")
            let file = try String(contentsOf: ManagementAPIServer.packageRoot.appendingPathComponent("openapi.yaml"), encoding: .utf8)
            #expect(spec.text == file)
            #expect(file.hasPrefix("openapi: 3.1"))
        }

        @Test("SIGTERM closes live sessions with SERVER_SHUTDOWN and the process exits 0")
        func gracefulStop() async throws {
            let server = try await ManagementAPIServer()
            let client = try await server.connect(token: try #require(try await server.issueToken(clientID: "alice")["token"].string))
            let status = await server.stop()
            #expect(status == 0)
            let reason = try await managementAPIWithin(5, "the session to end") { await client.closed() }
            #expect(reason.code == .closedByServer(.serverShutdown))
        }
    }
}
