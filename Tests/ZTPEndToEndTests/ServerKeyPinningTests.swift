import Testing
import ZTPClient
import ZTPCore

/// Section 3.2: the client checks the server's identity key before it sends the token.
@Suite("Server key pinning")
struct ServerKeyPinningTests {
    @Test("a wrong pinned key is refused with .serverKeyMismatch and the server never sees a HANDSHAKE_INIT")
    func wrongKeyLibrary() async throws {
        try await withServer { server in
            var wrongKey = server.serverKey
            wrongKey[0] ^= 0x01
            let error = await #expect(throws: ZTPClientError.self) {
                try await server.connect(token: server.token(client: "alice", role: "user"), trust: .pinned(wrongKey))
            }
            #expect(error?.code == .serverKeyMismatch)

            // The server counts each handshake it finishes or refuses by result; a connection
            // that ended without a HANDSHAKE_INIT has no result at all.
            let before = try await HTTPExchange.send("GET", "/metrics", port: server.httpPort)
            #expect(before.status == 200)
            let results = before.body.split(separator: "\n").filter { $0.hasPrefix("ztp_handshakes_total{") }
            #expect(results.isEmpty, "handshake results after a refused key: \(results)")

            // A control: a correct key does get counted.
            _ = try await server.connect("alice")
            let after = try await HTTPExchange.send("GET", "/metrics", port: server.httpPort)
            #expect(after.body.contains(#"ztp_handshakes_total{result="ok"} 1"#), "metrics:\n\(after.body)")
        }
    }

    @Test("on the wire: after a SERVER_HELLO with an untrusted key the client writes nothing more")
    func wrongKeyOnTheWire() async throws {
        try await withServer { server in
            let raw = try await RawConnection.connect(port: server.port)
            var wrongKey = server.serverKey
            wrongKey[31] ^= 0x80
            var connection = ClientConnection(token: Array(server.token(client: "alice", role: "user").utf8),
                                              trust: .pinned(wrongKey), now: clockNow(), handshakeTimeout: nil)
            try await raw.send(connection.takeOutbound())
            #expect(await raw.waitForBytes(24 + 128, within: .seconds(5)), "SERVER_HELLO arrives")
            let events = connection.receive(raw.take(), now: clockNow())
            #expect(!connection.hasOutbound, "no HANDSHAKE_INIT (no token) is written")
            guard case .closed(.protocolError(let error))? = events.last else {
                Issue.record("expected a close for the untrusted key, got \(events)")
                return
            }
            #expect(error.kind == .untrustedServerKey)
            await raw.close()
        }
    }
}
