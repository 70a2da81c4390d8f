import Foundation
import Synchronization
import Testing
import ZTPClient
import ZTPCore

/// Many real clients share one address (NAT, a proxy, a test rig): with the default limits a
/// burst of concurrent handshakes from one address on an idle server all succeed.
@Suite("Handshake bursts")
struct HandshakeBurstTests {
    @Test("200 concurrent handshakes from one address on an idle server all succeed with the defaults")
    func burstFromOneAddress() async throws {
        try await withServer([]) { server in
            let admin = try AdminAPI(server)
            let tokens = (0..<200).map { server.token(client: "burst\($0)", role: "user") }
            let outcomes = await withTaskGroup(of: Result<ZTPClient, any Error>.self) { group in
                for token in tokens {
                    group.addTask {
                        do { return .success(try await server.connect(token: token)) } catch { return .failure(error) }
                    }
                }
                var all: [Result<ZTPClient, any Error>] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let clients = outcomes.compactMap { try? $0.get() }
            let failures = outcomes.compactMap { if case .failure(let error) = $0 { "\(error)" } else { nil } }
            #expect(clients.count == 200, "\(failures.count) refused, e.g. \(failures.prefix(3))")
            #expect(try await admin.sessions().count == clients.count)
            #expect(try await admin.metric(#"ztp_handshakes_total{result="rate_limited"}"#) == 0)
            for client in clients { await client.close() }
        }
    }
}
