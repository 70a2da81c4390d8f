import Testing
import ZTPClient
import ZTPCore

/// Stream idle timeout (section 4) and session idle close (section 5) with the server started
/// with `--stream-idle-timeout 2 --heartbeat-interval 1`.
@Suite("Idle timeouts")
struct IdleTimeoutTests {
    @Test("a stream without DATA for stream_idle_timeout is closed IDLE_TIMEOUT while PINGs keep the session")
    func streamIdle() async throws {
        try await withServer { server in
            let session = try await RawSession.open(server)
            #expect(session.info.parameters.streamIdleTimeout == 2)
            #expect(session.info.parameters.heartbeatInterval == 1)
            #expect(try await session.request("ping") == "pong")
            let lastData = ContinuousClock.now
            // Session-level PINGs only: the session stays, the stream goes idle.
            var closedAfter: Duration?
            while ContinuousClock.now - lastData < .seconds(5) {
                try await session.sendPing()
                try await Task.sleep(for: .milliseconds(300))
                session.pump()
                if closedAfter == nil,
                   session.events.contains(where: { if case .streamClosed(2, .idleTimeout, _, true) = $0 { true } else { false } }) {
                    closedAfter = ContinuousClock.now - lastData
                }
            }
            let after = try #require(closedAfter, "stream 2 was not closed; events: \(session.events)")
            #expect(after >= .milliseconds(1_500) && after <= .milliseconds(3_500), "closed after \(after)")
            #expect(!session.events.contains { if case .closed = $0 { true } else { false } }, "the session itself stays open")
            // The stream id can be used again: a new DATA opens a new stream.
            #expect(try await session.request("echo back") == "back")
            await session.close()
        }
    }

    @Test("a session that sends nothing for 3 x heartbeat_interval gets CLOSE(0, IDLE_TIMEOUT) and EOF")
    func sessionIdle() async throws {
        try await withServer { server in
            let session = try await RawSession.open(server)
            #expect(try await session.request("ping") == "pong")
            let silentSince = ContinuousClock.now
            let event = try await session.waitFor("session CLOSE", within: .seconds(8)) {
                if case .closed = $0 { true } else { false }
            }
            let elapsed = ContinuousClock.now - silentSince
            guard case .closed(let reason) = event else { return }
            if case .peerClosed(let code, _) = reason {
                #expect(code == .idleTimeout)
            } else {
                Issue.record("expected CLOSE(0, IDLE_TIMEOUT) from the server, got \(reason)")
            }
            #expect(elapsed >= .milliseconds(2_500) && elapsed <= .milliseconds(5_000), "closed after \(elapsed)")
            #expect(await session.raw.waitForClose(within: .seconds(2)), "the server closes TCP after the CLOSE")
        }
    }

    @Test("the library's keep-alives hold a listening stream and the session open past every idle limit")
    func keepAlive() async throws {
        try await withServer { server in
            let listener = try await Participant.join(server, "listener")
            let talker = try await Participant.join(server, "talker", chat: false)
            try await Task.sleep(for: .seconds(4))
            #expect(try listener.chatInbox.hasEnded == false)
            #expect(listener.control.hasEnded == false)
            let talkerChat = Inbox.reading(try await talker.client.openStream(1))
            try await talkerChat.stream.send("still there?")
            #expect(try await talkerChat.next() == "ok: delivered to 1")
            #expect(try await listener.chatInbox.next() == "talker: still there?")
            #expect(try await listener.request("ping") == "pong")
        }
    }
}
