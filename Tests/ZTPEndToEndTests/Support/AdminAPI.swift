import Foundation

/// The management API of one test server, with its admin key: tokens issued and revoked
/// through the store, the live sessions, and `/metrics`.
struct AdminAPI: Sendable {
    let port: Int
    let key: String

    init(_ server: ServerProcess) throws {
        port = server.httpPort
        key = try String(contentsOf: server.file("admin.key"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Issues a token through the API (so the store knows it and it can be revoked).
    func issue(client: String, role: String = "user", ttl: Int = 600) async throws -> (token: String, jti: String) {
        let response = try await HTTPExchange.send("POST", "/v1/tokens", port: port, bearer: key,
                                                   json: #"{"client_id":"\#(client)","role":"\#(role)","ttl_seconds":\#(ttl)}"#)
        guard response.status == 201, let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
              let token = object["token"] as? String, let jti = object["jti"] as? String else {
            throw E2EFailure("token issue answered \(response.status): \(response.body)")
        }
        return (token, jti)
    }

    func revoke(jti: String) async throws {
        let response = try await HTTPExchange.send("DELETE", "/v1/tokens/\(jti)", port: port, bearer: key)
        guard response.status == 204 else { throw E2EFailure("revocation answered \(response.status): \(response.body)") }
    }

    /// Ends a session with TERMINATED.
    func terminate(session: String) async throws {
        let response = try await HTTPExchange.send("DELETE", "/v1/sessions/\(session)", port: port, bearer: key)
        guard response.status == 204 else { throw E2EFailure("terminate answered \(response.status): \(response.body)") }
    }

    /// The live sessions as the API lists them: (id, client id, token jti).
    func sessions() async throws -> [(id: String, client: String, jti: String)] {
        let response = try await HTTPExchange.send("GET", "/v1/sessions?limit=1000", port: port, bearer: key)
        guard response.status == 200, let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
              let sessions = object["sessions"] as? [[String: Any]] else {
            throw E2EFailure("session list answered \(response.status): \(response.body)")
        }
        return sessions.map { ($0["id"] as? String ?? "", $0["client_id"] as? String ?? "", $0["token_jti"] as? String ?? "") }
    }

    /// The value of one sample in `/metrics`, e.g. `ztp_peer_limit_refusals_total{reason="ping_flood"}`; 0 when absent.
    func metric(_ sample: String) async throws -> Double {
        let response = try await HTTPExchange.send("GET", "/metrics", port: port)
        for line in response.body.split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}
