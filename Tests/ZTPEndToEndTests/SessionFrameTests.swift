import Testing
import ZTPClient
import ZTPCore

/// Section 5's session frames and section 3.7's handshake time limit, on raw sockets.
@Suite("Session frames and handshake limit")
struct SessionFrameTests {
    @Test("PING is answered with a PONG carrying the same bytes; the library measures a round trip")
    func pingPong() async throws {
        try await withServer { server in
            let session = try await RawSession.open(server)
            try await session.sendPing()
            let pong = try await session.waitFor("PONG", within: .seconds(5)) { if case .pong = $0 { true } else { false } }
            #expect(pong == .pong([1, 2, 3, 4, 5, 6, 7, 8]))
            let client = try await server.connect("alice")
            let rtt = try await client.ping()
            #expect(rtt >= 0 && rtt < 5)
        }
    }

    @Test("KEY_UPDATE from the client is accepted at any time; the session goes on under the new key")
    func keyUpdate() async throws {
        try await withServer { server in
            let session = try await RawSession.open(server)
            try await session.sendKeyUpdate()
            #expect(try await session.request("echo after one update") == "after one update")
            try await session.sendKeyUpdate()
            try await session.sendKeyUpdate()
            #expect(try await session.request("ping") == "pong")
            #expect(session.connection.sendKeyEpoch == 3)
        }
    }

    @Test("a connection whose HANDSHAKE_INIT does not come within --handshake-timeout is closed without a word")
    func handshakeTimeLimit() async throws {
        try await withServer(ServerProcess.quickTimeouts + ["--handshake-timeout", "1"]) { server in
            // Says CLIENT_HELLO, reads SERVER_HELLO, then goes silent.
            let silent = try await RawConnection.connect(port: server.port)
            var connection = ClientConnection(token: Array(server.token(client: "slowpoke", role: "user").utf8),
                                              trust: .pinned(server.serverKey), now: clockNow(), handshakeTimeout: nil)
            let start = ContinuousClock.now
            try await silent.send(connection.takeOutbound())
            // A connection that sends nothing at all.
            let mute = try await RawConnection.connect(port: server.port)
            #expect(await silent.waitForBytes(24 + 128, within: .seconds(5)))
            _ = connection.receive(silent.take(), now: clockNow())
            #expect(await silent.waitForClose(within: .seconds(5)), "closed after the limit")
            #expect(await mute.waitForClose(within: .seconds(5)))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(800) && elapsed < .seconds(4), "closed after \(elapsed)")
            #expect(silent.take().isEmpty, "nothing after SERVER_HELLO")
            #expect(mute.take().isEmpty, "nothing at all")
            // Handshakes that finish in time still work.
            let client = try await server.connect("alice")
            #expect(client.session.clientID == "alice")
        }
    }
}
