import Foundation
import ZTPTestSupport
import Testing
import ZTPClient
import ZTPCore

/// A token revoked while its holder reconnects in a loop leaves no live session (ZTP-1 3.5:
/// the server checks again once the session is registered), however the two interleave.
@Suite("Revocation races")
struct RevocationRaceTests {
    @Test("revocation raced against reconnect loops, 40 times: no session outlives it")
    func revocationWinsEveryRace() async throws {
        try await withServer([]) { server in
            let admin = try AdminAPI(server)
            for trial in 0..<40 {
                let (token, jti) = try await admin.issue(client: "racer\(trial)")
                let established = Established()
                // Three loops connect as fast as they can until the server refuses the token.
                let loops = (0..<3).map { _ in
                    Task {
                        for _ in 0..<200 {
                            do {
                                let client = try await server.connect(token: token)
                                established.add(client)
                            } catch let error as ZTPClientError where error.code == .closedByServer(.tokenRevoked) {
                                return
                            } catch {
                                try? await Task.sleep(for: .milliseconds(1))
                            }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...40)))
                try await admin.revoke(jti: jti)
                for loop in loops { await loop.value }
                // Every session that was established ends with TOKEN_REVOKED...
                for client in established.all {
                    let end = try await value(within: .seconds(5), of: "trial \(trial): the end of session \(client.sessionID)") {
                        await client.closed()
                    }
                    #expect(end.code == .closedByServer(.tokenRevoked), "trial \(trial): \(end)")
                }
                // ...and none is left in the registry.
                let left = try await admin.sessions().filter { $0.jti == jti }
                #expect(left.isEmpty, "trial \(trial): \(left.count) sessions outlived the revocation")
            }
        }
    }
}

/// The sessions the reconnect loops got, shared with their tasks.
private final class Established: Sendable {
    private let clients = LockedBox<[ZTPClient]>([])
    func add(_ client: ZTPClient) { clients.withLock { $0.append(client) } }
    var all: [ZTPClient] { clients.withLock { $0 } }
}
