import Foundation
import NIOCore

/// `api`, continued: revoking a token that 100 live sessions use, while `/metrics` is scraped
/// back to back. Handlers run as tasks, never on libmicrohttpd's threads, so the scrapes
/// during the revocation should cost what they cost just before it.
extension APIScenario {
    static let revokedSessions = 100

    static func measureRevocation(httpPort: Int, ztpPort: Int, adminKey: String, serverKey: [UInt8]) async throws -> [Row] {
        let issued = try await HTTPProbe.request("POST", port: httpPort, path: "/v1/tokens", bearer: adminKey,
                                                 json: #"{"client_id":"revoked","role":"user"}"#)
        guard issued.status == 201,
              let object = try JSONSerialization.jsonObject(with: Data(issued.body)) as? [String: Any],
              let token = object["token"] as? String, let jti = object["jti"] as? String
        else { throw BenchError("POST /v1/tokens answered \(issued.status)") }
        var channels: [any Channel] = []
        for index in 0..<revokedSessions {
            channels.append(try await LightSession.connect(host: "127.0.0.1", port: ztpPort, source: "127.0.9.\(1 + index / 50)",
                                                           token: token, serverKey: serverKey))
        }
        defer { for channel in channels { channel.close(promise: nil) } }

        var before: [Double] = []
        for _ in 0..<50 {
            before.append(try await HTTPProbe.get(port: httpPort, path: "/metrics", bearer: nil).seconds)
        }
        // Scrape back to back from two threads while the revocation runs.
        let revoking = Task { try await HTTPProbe.request("DELETE", port: httpPort, path: "/v1/tokens/\(jti)", bearer: adminKey) }
        let scrapes = Task {
            try await withThrowingTaskGroup(of: [Double].self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        var seconds: [Double] = []
                        let end = now() + 0.5
                        while now() < end {
                            seconds.append(try await HTTPProbe.get(port: httpPort, path: "/metrics", bearer: nil).seconds)
                        }
                        return seconds
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        let revoked = try await revoking.value
        guard revoked.status == 204 else { throw BenchError("DELETE /v1/tokens answered \(revoked.status)") }
        let during = try await scrapes.value
        log("  revoked a token of \(revokedSessions) sessions in \(Row.format(revoked.seconds * 1e3)) ms; "
              + "/metrics p99 \(Row.format(Stats.percentile(during, 99) * 1e3)) ms during it, "
              + "\(Row.format(Stats.percentile(before, 99) * 1e3)) ms before (\(during.count) scrapes)")
        let note = "\(revokedSessions) sessions on one token; /metrics scraped back to back by 2 clients for 0.5 s from the DELETE"
        return [
            Row(scenario: "api", name: "DELETE /v1/tokens/{jti} with 100 live sessions", value: revoked.seconds * 1e3, unit: "ms",
                baseline: nil, baselineValue: nil, target: .none, note: note),
            Row(scenario: "api", name: "GET /metrics p99 during that revocation", value: Stats.percentile(during, 99) * 1e3, unit: "ms",
                baseline: "same, just before", baselineValue: Stats.percentile(before, 99) * 1e3, target: .none,
                note: note + "; \(during.count) scrapes"),
        ]
    }
}
