import Foundation
import Testing
import ZTPClient
import ZTPCore

/// SIGTERM: stop accepting, CLOSE(SERVER_SHUTDOWN) to every session, exit 0 within a bound.
@Suite("Graceful shutdown")
struct ShutdownTests {
    @Test("SIGTERM delivers CLOSE(SERVER_SHUTDOWN) to every connected client and the server exits 0 within seconds")
    func sigterm() async throws {
        try await withServer { server in
            let alice = try await Participant.join(server, "alice")
            let bob = try await Participant.join(server, "bob", role: "observer", chat: false)
            let raw = try await RawSession.open(server)
            #expect(try await raw.request("ping") == "pong")
            #expect(await ServerProcess.accepts(port: server.port))

            let start = ContinuousClock.now
            server.signal(SIGTERM)
            let aliceEnd = try await value(within: .seconds(5), of: "alice's session end") { await alice.client.closed() }
            let bobEnd = try await value(within: .seconds(5), of: "bob's session end") { await bob.client.closed() }
            #expect(aliceEnd.code == .closedByServer(.serverShutdown))
            #expect(bobEnd.code == .closedByServer(.serverShutdown))
            let event = try await raw.waitFor("session CLOSE", within: .seconds(5)) { if case .closed = $0 { true } else { false } }
            #expect(event.closeCode == .serverShutdown, "got \(event)")
            // Streams end with the session.
            #expect(try await alice.chatInbox.end().error?.code == .closedByServer(.serverShutdown))

            let status = await server.waitForExit(timeout: .seconds(8))
            #expect(status == 0, "exit status \(String(describing: status))")
            #expect(ContinuousClock.now - start < .seconds(8))
            #expect(await ServerProcess.accepts(port: server.port) == false, "no longer listening")
        }
    }
}

extension ConnectionEvent {
    /// The code of a session close sent by the peer, if this is one.
    var closeCode: CloseCode? {
        if case .closed(.peerClosed(let code, _)) = self { return code }
        return nil
    }
}
