import Foundation
import Testing
import ZTPClient
import ZTPCore
import ZTPTestSupport

/// Per-address handshake limits under load: one address that holds many connections open
/// without speaking cannot keep a client from another address out, and its silent
/// connections are dropped at the CLIENT_HELLO deadline.
@Suite("Address fairness")
struct AddressFairnessTests {
    @Test("one address holding idle connections: a client from 127.0.0.2 still gets in, and the idle ones go within 2 s")
    func idleHoarderDoesNotLockOthersOut() async throws {
        // A small cap, so that "under load" (more than half of it in progress) is easy to reach.
        try await withServer(ServerProcess.quickTimeouts + ["--max-handshakes", "32"]) { server in
            let admin = try AdminAPI(server)
            var hoard: [RawConnection] = []
            for _ in 0..<100 {
                if let connection = try? await RawConnection.connect(port: server.port) { hoard.append(connection) }
            }
            // Under load the address may keep at most 8 in progress: most of the rest were cut at once.
            try await Task.sleep(for: .milliseconds(300))
            let stillOpen = hoard.filter { !$0.isClosedByPeer }.count
            #expect(stillOpen <= 20, "\(stillOpen) idle connections from one address are still in their handshake")
            #expect(try await admin.metric(#"ztp_peer_limit_refusals_total{reason="handshakes_per_address"}"#) >= 1)

            // Another address gets in while the hoard stands.
            let other = try await RawSession.open(server, token: server.token(client: "other", role: "user"), from: "127.0.0.2")
            #expect(try await other.request("whoami") == "other user")

            // Silent connections end at the CLIENT_HELLO deadline (2 s), not the handshake's 10
            // (both stretched in instrumented runs, as this wait is).
            let start = ContinuousClock.now
            for connection in hoard { _ = await connection.waitForClose(within: TestTime.scaled(.seconds(4))) }
            let closedAfter = ContinuousClock.now - start
            let allClosed = hoard.allSatisfy(\.isClosedByPeer)
            #expect(allClosed, "idle connections still open after \(closedAfter)")
            #expect(try await admin.metric(#"ztp_handshakes_total{result="client_hello_timeout"}"#) >= 1)
            for connection in hoard { await connection.close() }
            await other.close()
        }
    }

    @Test("while one address keeps reopening silent connections, clients from 127.0.0.2 keep getting in")
    func steadyHoarder() async throws {
        try await withServer(ServerProcess.quickTimeouts + ["--max-handshakes", "32"]) { server in
            let hoarding = Task {
                var opened: [RawConnection] = []
                let end = ContinuousClock.now + .seconds(4)
                while ContinuousClock.now < end, !Task.isCancelled {
                    if let connection = try? await RawConnection.connect(port: server.port) { opened.append(connection) }
                    if opened.count > 200 {
                        for connection in opened.prefix(100) { await connection.close() }
                        opened.removeFirst(100)
                    }
                }
                for connection in opened { await connection.close() }
            }
            for attempt in 0..<10 {
                let session = try await RawSession.open(server, token: server.token(client: "other\(attempt)", role: "user"),
                                                        from: "127.0.0.2")
                #expect(try await session.request("ping") == "pong", "attempt \(attempt)")
                await session.close()
                try await Task.sleep(for: .milliseconds(200))
            }
            hoarding.cancel()
            await hoarding.value
        }
    }
}
