import Foundation
import Testing
import ZTPClient
import ZTPCore

extension ManagementAPITests {
    /// Issuing, listing and revoking tokens, and what survives a crash.
    @Suite("Management API: tokens")
    struct Tokens {
        static let metadataKeys: Set<String> = ["jti", "client_id", "role", "issued_at", "expires_at", "state"]

        @Test("POST /v1/tokens answers 201 with the token once; the listing shows metadata only")
        func issue() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let issued = try await server.issueToken(clientID: "svc.worker-1@example", role: "admin", ttl: 120)
            #expect(issued["client_id"].string == "svc.worker-1@example")
            #expect(issued["role"].string == "admin")
            let jti = try #require(issued["jti"].string)
            #expect(jti.count == 32 && jti.allSatisfy(\.isHexDigit))
            #expect(try #require(issued["token"].string).split(separator: ".").count == 3)
            let issuedAt = try #require(issued["issued_at"].date)
            let expiresAt = try #require(issued["expires_at"].date)
            #expect(expiresAt.timeIntervalSince(issuedAt) == 120)
            #expect(abs(issuedAt.timeIntervalSinceNow) < 60)

            // The default lifetime is one hour; both ends of the range are accepted.
            let defaulted = try await server.issueToken(clientID: "d", role: "observer")
            #expect(try #require(defaulted["expires_at"].date).timeIntervalSince(try #require(defaulted["issued_at"].date)) == 3600)
            let longest = try await server.issueToken(clientID: "l", ttl: 2_592_000)
            #expect(try #require(longest["expires_at"].date).timeIntervalSince(try #require(longest["issued_at"].date)) == 2_592_000)
            _ = try await server.issueToken(clientID: "s", ttl: 1)

            let one = try await server.getJSON("/v1/tokens/\(jti)")
            #expect(one.keys == Self.metadataKeys, "never the token value, no revoked_at before revocation")
            #expect(one["state"].string == "active")
            #expect(one["issued_at"].string == issued["issued_at"].string)
            #expect(one["expires_at"].string == issued["expires_at"].string)
            let list = try await server.getJSON("/v1/tokens")
            #expect(list["total"].int == 4)
            #expect(list["tokens"].array.allSatisfy { !$0["token"].exists })
            #expect(try await server.request("GET", "/v1/tokens/ffffffffffffffffffffffffffffffff").status == 404)

            let metrics = try await server.metrics()
            #expect(metrics.value("ztp_tokens_issued_total") == 4)
            let audit = try await server.getJSON("/v1/audit")
            let issuedEvents = audit["events"].array.filter { $0["action"].string == "token.issued" }
            #expect(issuedEvents.count == 4)
            #expect(issuedEvents.contains { $0["detail"].string?.contains(jti) == true && $0["actor"].string == "admin-api" })
        }

        @Test("revoking a token closes its live session with TOKEN_REVOKED; later handshakes get TOKEN_REVOKED; again is 409")
        func revoke() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let issued = try await server.issueToken(clientID: "dave", role: "user")
            let jti = try #require(issued["jti"].string)
            let token = try #require(issued["token"].string)
            let first = try await server.connect(token: token)
            let second = try await server.connect(token: token)
            let other = try await server.connect(token: try #require(try await server.issueToken(clientID: "erin")["token"].string))
            #expect(try await server.getJSON("/v1/sessions?client_id=dave")["total"].int == 2)

            let response = try await server.request("DELETE", "/v1/tokens/\(jti)")
            #expect(response.status == 204)
            #expect(response.body.isEmpty)
            for client in [first, second] {
                let reason = try await managementAPIWithin(5, "the revoked session to end") { await client.closed() }
                #expect(reason.code == .closedByServer(.tokenRevoked))
            }
            let refusal = try await server.refusal(token: token)
            #expect(refusal.code == .closedByServer(.tokenRevoked))
            // A session opened with another token is untouched.
            #expect(try await other.ping() >= 0)
            #expect(try await server.getJSON("/v1/sessions")["sessions"].array.map { $0["client_id"].string } == ["erin"])

            let again = try await server.request("DELETE", "/v1/tokens/\(jti)")
            #expect(again.status == 409)
            #expect(again.headers["content-type"] == "application/problem+json")
            #expect(again.problem?.title == "Conflict")
            #expect(try await server.request("DELETE", "/v1/tokens/ffffffffffffffffffffffffffffffff").status == 404)

            let record = try await server.getJSON("/v1/tokens/\(jti)")
            #expect(record["state"].string == "revoked")
            #expect(record.keys == Self.metadataKeys.union(["revoked_at"]))
            #expect(try #require(record["revoked_at"].date) >= (try #require(record["issued_at"].date)))

            #expect(await managementAPIEventually {
                let actions = try await server.getJSON("/v1/audit")["events"].array.compactMap { $0["action"].string }
                return actions.contains("token.revoked") && actions.contains("auth.failed")
            }, "the revocation and the refused handshake are audited")
            let audit = try await server.getJSON("/v1/audit")["events"].array
            let revoked = audit.first { $0["action"].string == "token.revoked" }
            #expect(revoked?["detail"].string?.contains("jti=\(jti)") == true)
            #expect(revoked?["detail"].string?.contains("sessions_closed=2") == true)
            let failure = audit.first { $0["action"].string == "auth.failed" }
            #expect(failure?["actor"].string == "ztp")
            #expect(failure?["detail"].string?.contains("TOKEN_REVOKED") == true)

            let metrics = try await server.metrics()
            #expect(metrics.value("ztp_tokens_revoked_total") == 1)
            #expect(metrics.value("ztp_handshakes_total", ["result": "token_revoked"]) == 1)
            #expect(metrics.value("ztp_sessions_closed_total", ["reason": "token_revoked"]) == 2)
            await other.close()
        }

        @Test("issued tokens and revocations survive kill -9 and a restart on the same data directory")
        func surviveCrash() async throws {
            let first = try await ManagementAPIServer()
            let directory = first.dataDirectory
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let kept = try await first.issueToken(clientID: "frank", role: "user", ttl: 3600)
            let revoked = try await first.issueToken(clientID: "grace", role: "observer", ttl: 3600)
            let revokedJTI = try #require(revoked["jti"].string)
            #expect(try await first.request("DELETE", "/v1/tokens/\(revokedJTI)").status == 204)
            // No pause, no graceful stop: the 204 must mean it is on disk.
            first.crash()
            #expect(!first.isRunning)

            let second = try await ManagementAPIServer(dataDirectory: directory)
            defer { second.stopInBackground(removeDirectory: false) }
            #expect(try second.publicKeyHex == (try first.publicKeyHex), "the same identity after restart")
            let list = try await second.getJSON("/v1/tokens")
            #expect(list["total"].int == 2)
            let states = Dictionary(uniqueKeysWithValues: list["tokens"].array.compactMap { token in
                token["jti"].string.map { ($0, token["state"].string ?? "") }
            })
            #expect(states == [try #require(kept["jti"].string): "active", revokedJTI: "revoked"])
            #expect(try await second.getJSON("/v1/tokens?state=revoked")["tokens"][0]["jti"].string == revokedJTI)

            let refusal = try await second.refusal(token: try #require(revoked["token"].string))
            #expect(refusal.code == .closedByServer(.tokenRevoked), "the in-memory set was reloaded from the store")
            #expect(try await second.request("DELETE", "/v1/tokens/\(revokedJTI)").status == 409)
            let client = try await second.connect(token: try #require(kept["token"].string))
            #expect(client.session.clientID == "frank")
            await client.close()
            let actions = try await second.getJSON("/v1/audit")["events"].array.compactMap { $0["action"].string }
            #expect(actions.filter { $0 == "token.issued" }.count == 2)
            #expect(actions.contains("token.revoked"))
        }

        @Test("tokens filter by client_id and state and page, newest first")
        func listing() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            var alice: [String] = []
            for _ in 0..<5 { alice.append(try #require(try await server.issueToken(clientID: "alice")["jti"].string)) }
            var bob: [String] = []
            for _ in 0..<3 { bob.append(try #require(try await server.issueToken(clientID: "bob", role: "observer")["jti"].string)) }
            #expect(try await server.request("DELETE", "/v1/tokens/\(bob[0])").status == 204)
            let expiring = try #require(try await server.issueToken(clientID: "carol", ttl: 1)["jti"].string)
            #expect(await managementAPIEventually(4) {
                try await server.getJSON("/v1/tokens/\(expiring)")["state"].string == "expired"
            })

            let all = try await server.getJSON("/v1/tokens")
            #expect(all["total"].int == 9)
            #expect(all["limit"].int == 100)
            #expect(all["offset"].int == 0)
            let issuedTimes = all["tokens"].array.compactMap { $0["issued_at"].date }
            #expect(issuedTimes == issuedTimes.sorted(by: >), "newest first")
            #expect(all["tokens"][0]["jti"].string == expiring)

            // Pages of alice's tokens: total on every page, together every token once.
            var paged: [String] = []
            for offset in stride(from: 0, to: 6, by: 2) {
                let page = try await server.getJSON("/v1/tokens?client_id=alice&limit=2&offset=\(offset)")
                #expect(page["total"].int == 5)
                #expect(page["limit"].int == 2)
                #expect(page["offset"].int == offset)
                #expect(page["tokens"].array.count == min(2, 5 - offset))
                paged += page["tokens"].array.compactMap { $0["jti"].string }
            }
            #expect(paged == alice.reversed(), "newest first, in issue order when issued in the same second")

            func jtis(_ query: String) async throws -> Set<String> {
                Set(try await server.getJSON("/v1/tokens?\(query)")["tokens"].array.compactMap { $0["jti"].string })
            }
            #expect(try await jtis("state=revoked") == [bob[0]])
            #expect(try await jtis("state=expired") == [expiring])
            #expect(try await jtis("state=active") == Set(alice + bob.dropFirst()))
            #expect(try await jtis("client_id=bob&state=active") == Set(bob.dropFirst()))
            #expect(try await jtis("client_id=bob&state=revoked") == [bob[0]])
            #expect(try await jtis("client_id=nobody") == [])
            let expired = try await server.getJSON("/v1/tokens?state=expired")
            #expect(expired["total"].int == 1)

            for bad in ["state=gone", "state=", "limit=0", "limit=1001", "limit=ten", "offset=-5", "offset=1e3"] {
                let response = try await server.request("GET", "/v1/tokens?\(bad)")
                #expect(response.status == 400, "\(bad)")
                #expect(response.headers["content-type"] == "application/problem+json")
            }
        }
    }
}
