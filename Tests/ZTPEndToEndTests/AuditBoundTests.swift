import Foundation
import Testing
import ZTPCore

/// Failed authentications against the real server cost a bounded number of audit rows: one per
/// source address and minute, and never more than `--audit-max-rows` in all.
@Suite("Audit bounds")
struct AuditBoundTests {
    /// A well-formed token signed with a secret the server does not know: refused AUTH_FAILED.
    static func forgedToken() -> String {
        let now = Int64(Date().timeIntervalSince1970)
        return TokenMinter(secret: SecretBytes(randomCount: 32)).mint(
            TokenClaims(subject: "mallory", role: "admin", issuedAt: now, expiresAt: now + 600, id: TokenMinter.newTokenID()))
    }

    @Test("a flood of failed handshakes from one address is one audit row per minute, counting every failure")
    func floodFromOneAddress() async throws {
        try await withServer { server in
            let token = Self.forgedToken()
            // Fewer at once than a per-address handshake cap would allow; 240 in all.
            let workers = 6
            let perWorker = 40
            let refused = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<workers {
                    group.addTask {
                        var count = 0
                        for _ in 0..<perWorker {
                            // A handshake refused at accept (a rate limit) is no authentication failure.
                            if (try? await refusedHandshake(server, token: token)) == .authFailed { count += 1 }
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(refused >= 100, "at least the per-address burst reaches the token check")
            // Failures are written about once a second: wait until all are counted.
            var rows: [AuditRow] = []
            let deadline = ContinuousClock.now + .seconds(15)
            repeat {
                rows = try await Self.auditRows(server).filter { $0.action == "auth.failed" }
                if rows.reduce(0, { $0 + $1.count }) == refused { break }
                try await Task.sleep(for: .milliseconds(200))
            } while ContinuousClock.now < deadline
            #expect(rows.reduce(0) { $0 + $1.count } == refused, "every failure is counted once: \(rows)")
            // The flood may straddle a minute boundary, never two.
            #expect((1...2).contains(rows.count), "\(rows)")
            #expect(rows.allSatisfy { $0.actor == "ztp" && $0.detail == "AUTH_FAILED bad signature from 127.0.0.1" }, "\(rows)")
            // Every failure but the first of each row was merged; the counter may trail the rows by a moment.
            var merged: Double?
            repeat {
                merged = try await Self.metric(server, "ztp_audit_events_merged_total")
                if merged == Double(refused - rows.count) { break }
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < deadline + .seconds(5)
            #expect(merged == Double(refused - rows.count))
        }
    }

    @Test("failures from more addresses than --audit-max-rows leave exactly the cap, the rest evicted and counted")
    func rowCapWithManyAddresses() async throws {
        try await withServer(ServerProcess.quickTimeouts + ["--audit-max-rows", "5"]) { server in
            let token = Self.forgedToken()
            for host in 2...13 {
                for _ in 0..<2 {
                    let code = try await refusedHandshake(server, token: token, from: "127.0.0.\(host)")
                    #expect(code == .authFailed)
                }
            }
            // 12 addresses (more if a minute turns meanwhile) plus the demo token's issue: at least 13 rows made.
            let deadline = ContinuousClock.now + .seconds(15)
            var evicted = 0.0
            repeat {
                evicted = try await Self.metric(server, "ztp_audit_rows_evicted_total") ?? 0
                if evicted >= 8 { break }
                try await Task.sleep(for: .milliseconds(200))
            } while ContinuousClock.now < deadline
            #expect(evicted >= 8)
            let (total, rows) = try await Self.auditPage(server)
            #expect(total == 5)
            #expect(rows.count == 5)
            #expect(rows.allSatisfy { $0.action == "auth.failed" }, "the oldest row (the demo token) went first: \(rows)")
            #expect(rows.contains { $0.detail.hasSuffix("from 127.0.0.13") }, "the newest address stays: \(rows)")
        }
    }

    // MARK: Reading the server

    struct AuditRow: Sendable, CustomStringConvertible {
        var actor, action, detail: String
        var count: Int
        var description: String { "\(action) x\(count) (\(actor)): \(detail)" }
    }

    static func adminKey(_ server: ServerProcess) throws -> String {
        try String(contentsOf: server.file("admin.key"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func auditPage(_ server: ServerProcess) async throws -> (total: Int, rows: [AuditRow]) {
        let response = try await HTTPExchange.send("GET", "/v1/audit?limit=100", port: server.httpPort,
                                                   bearer: try adminKey(server))
        guard response.status == 200,
              let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
              let total = object["total"] as? Int, let events = object["events"] as? [[String: Any]] else {
            throw E2EFailure("GET /v1/audit answered \(response.status): \(response.body)")
        }
        let rows = try events.map { event in
            guard let actor = event["actor"] as? String, let action = event["action"] as? String,
                  let detail = event["detail"] as? String, let count = event["count"] as? Int else {
                throw E2EFailure("an audit event without actor, action, detail or count: \(event)")
            }
            return AuditRow(actor: actor, action: action, detail: detail, count: count)
        }
        return (total, rows)
    }

    static func auditRows(_ server: ServerProcess) async throws -> [AuditRow] {
        try await auditPage(server).rows
    }

    /// The value of an unlabelled series in `/metrics`; nil while nothing has recorded into it.
    static func metric(_ server: ServerProcess, _ name: String) async throws -> Double? {
        let response = try await HTTPExchange.send("GET", "/metrics", port: server.httpPort)
        guard response.status == 200 else { throw E2EFailure("GET /metrics answered \(response.status)") }
        for line in response.body.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }
}
