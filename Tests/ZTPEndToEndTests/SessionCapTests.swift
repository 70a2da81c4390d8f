import Foundation
import Testing
import ZTPClient
import ZTPCore

/// Sessions per client id are capped (`--max-sessions-per-client`): past the cap the handshake
/// ends with CLOSE(0, TOO_MANY_SESSIONS) in place of HANDSHAKE_ACK, and a closed session gives
/// its place back.
@Suite("Sessions per client")
struct SessionCapTests {
    @Test("past the per-client cap the handshake ends with TOO_MANY_SESSIONS; other clients are not affected")
    func tooManySessions() async throws {
        try await withServer(ServerProcess.quickTimeouts + ["--max-sessions-per-client", "3"]) { server in
            let admin = try AdminAPI(server)
            var held: [ZTPClient] = []
            for _ in 0..<3 { held.append(try await server.connect("capped")) }
            let error = await #expect(throws: ZTPClientError.self) { try await server.connect("capped") }
            #expect(error?.code == .closedByServer(.tooManySessions), "\(String(describing: error))")
            #expect(try await admin.metric(#"ztp_handshakes_total{result="too_many_sessions"}"#) == 1)
            #expect(try await admin.metric(#"ztp_peer_limit_refusals_total{reason="sessions_per_client"}"#) == 1)
            // Another client id is not held to capped's count.
            let other = try await server.connect("other")
            // A session that ends gives its place back at once.
            await held.removeFirst().close()
            var again: ZTPClient?
            let deadline = ContinuousClock.now + .seconds(5)
            while again == nil, ContinuousClock.now < deadline {
                again = try? await server.connect("capped")
                if again == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(again != nil, "no place given back within 5 s of a close")
            #expect(try await admin.sessions().filter { $0.client == "capped" }.count == 3)
            await again?.close()
            await other.close()
            for client in held { await client.close() }
        }
    }

    @Test("sessions racing for the last place: never more than the cap")
    func racingForTheLastPlace() async throws {
        try await withServer(ServerProcess.quickTimeouts + ["--max-sessions-per-client", "5"]) { server in
            let outcomes = await withTaskGroup(of: ZTPClient?.self) { group in
                for _ in 0..<30 { group.addTask { try? await server.connect("crowd") } }
                var clients: [ZTPClient] = []
                for await client in group { if let client { clients.append(client) } }
                return clients
            }
            #expect(outcomes.count == 5)
            let admin = try AdminAPI(server)
            #expect(try await admin.sessions().count == 5)
            for client in outcomes { await client.close() }
        }
    }
}
