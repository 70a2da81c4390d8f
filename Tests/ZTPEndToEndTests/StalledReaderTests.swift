import Foundation
import Testing
import ZTPClient
import ZTPCore

/// The close deadline (ZTP-1 2.0): once the server decides to end a session, its TCP socket is
/// released within 2 s whether or not the peer ever reads what was written, and the session
/// leaves the registry at the decision.
@Suite("Stalled readers")
struct StalledReaderTests {
    @Test("a reader that stalls behind a flood is closed SLOW_CONSUMER and its socket released within 2 s, unread")
    func stalledReaderReleased() async throws {
        try await withServer([]) { server in
            let admin = try AdminAPI(server)
            let stalled = try await Self.stalledListener(server)
            let sender = try await Participant.join(server, "sender")
            let bystander = try await Participant.join(server, "bystander", chat: false)

            // 60 kB chat messages until the server gives the stalled session up: the kernel's
            // buffers fill, then the server's own, past its 4 MiB bound.
            let body = String(repeating: "x", count: 60_000)
            var released: ContinuousClock.Instant?
            for index in 0..<2_000 {
                _ = try await sender.say("\(index) \(body)")
                if index % 10 == 9, try await !admin.sessions().contains(where: { $0.id == stalled.info.sessionID }) {
                    released = ContinuousClock.now
                    break
                }
            }
            try #require(released != nil, "the stalled session was never given up")
            // Out of the registry at the decision; the socket follows within the deadline.
            let took = await TCPTable.waitForRelease(serverPort: server.port, clientPort: stalled.raw.localPort, within: .seconds(5))
            let elapsed = try #require(took, "the server still holds the stalled socket 5 s after dropping the session")
            #expect(elapsed < .seconds(2), "socket released \(elapsed) after the session left the registry")
            #expect(try await admin.metric("ztp_slow_consumer_closes_total") >= 1)
            #expect(try await admin.metric(#"ztp_sessions_closed_total{reason="slow_consumer"}"#) >= 1)
            #expect(try await bystander.request("whoami") == "bystander user")
            #expect(try await admin.sessions().count == 2)
            await stalled.close()
        }
    }

    @Test("an administrator's terminate of a stalled session releases its socket within 2 s")
    func terminatedWhileStalled() async throws {
        try await withServer([]) { server in
            let admin = try AdminAPI(server)
            let stalled = try await Self.stalledListener(server)
            let sender = try await Participant.join(server, "sender")
            // Chat until the kernel's buffers are full (the server's send queue stops growing),
            // then about 1 MB more, which waits in the server, below its 4 MiB bound: the
            // TERMINATED close is queued behind bytes that will never be taken.
            let body = String(repeating: "y", count: 60_000)
            var last = -1, steady = 0, index = 0
            while steady < 5, index < 1_000 {
                _ = try await sender.say("\(index) \(body)")
                index += 1
                let queued = TCPTable.serverSendQueue(serverPort: server.port, clientPort: stalled.raw.localPort) ?? 0
                // Full when a message no longer moves it (a zero-window probe may still add a
                // few bytes): waiting for an exact repeat could run on into the 4 MiB bound.
                steady = queued - last < body.utf8.count / 10 ? steady + 1 : 0
                last = max(last, queued)
            }
            for more in 0..<16 { _ = try await sender.say("more \(more) \(body)") }
            #expect(try await admin.sessions().contains { $0.id == stalled.info.sessionID }, "still below the slow-consumer bound")
            try await admin.terminate(session: stalled.info.sessionID)
            let took = await TCPTable.waitForRelease(serverPort: server.port, clientPort: stalled.raw.localPort, within: .seconds(5))
            let elapsed = try #require(took, "the server still holds the terminated socket after 5 s")
            #expect(elapsed < .seconds(2), "socket released \(elapsed) after the terminate was answered")
            #expect(try await !admin.sessions().contains { $0.id == stalled.info.sessionID })
            await stalled.close()
        }
    }

    /// A session listening on chat with credit far ahead (a hostile peer may grant it), served
    /// once, that then stops reading.
    private static func stalledListener(_ server: ServerProcess) async throws -> RawSession {
        let stalled = try await RawSession.open(server, token: server.token(client: "stalled", role: "user"))
        try await stalled.send(try stalled.sealData([], on: 1))
        stalled.withConnection { $0.consumed(stream: 1, count: 1 << 30, now: clockNow()) }
        try await stalled.flush()
        #expect(try await stalled.request("ping") == "pong")
        #expect(TCPTable.serverEnd(serverPort: server.port, clientPort: stalled.raw.localPort) == .held)
        try await stalled.raw.stopReading()
        return stalled
    }
}
