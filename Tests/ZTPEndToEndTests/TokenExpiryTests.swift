import Foundation
import Testing
import ZTPClient
import ZTPCore

/// A session lasts no longer than its token (ZTP-1 5): at `exp` the server sends CLOSE(0,
/// TOKEN_EXPIRED) and closes; `ztp-client` says so and exits non-zero.
@Suite("Token expiry")
struct TokenExpiryTests {
    @Test("a token expiring mid-session ends the session with TOKEN_EXPIRED at exp, busy or not")
    func expiresMidSession() async throws {
        try await withServer { server in
            let now = Int64(Date().timeIntervalSince1970)
            let exp = now + 3
            let client = try await server.connect(token: server.token(client: "brief", role: "user", ttl: 3, issuedAt: now))
            let control = Inbox.reading(try await client.openStream(2))
            // Busy all along: requests every 200 ms do not extend the session.
            let busy = Task {
                while !Task.isCancelled {
                    try? await control.stream.send("ping")
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            let end = try await value(within: .seconds(10), of: "the session's end") { await client.closed() }
            busy.cancel()
            let endedAt = Date().timeIntervalSince1970
            #expect(end.code == .closedByServer(.tokenExpired), "\(end)")
            #expect(end.message.contains("get a new token"))
            #expect(endedAt >= Double(exp) - 0.05, "ended before exp: \(endedAt) < \(exp)")
            #expect(endedAt < Double(exp) + 2, "ended \(endedAt - Double(exp)) s after exp")
            let admin = try AdminAPI(server)
            #expect(try await admin.metric(#"ztp_sessions_closed_total{reason="token_expired"}"#) == 1)
        }
    }

    @Test("interactive ztp-client says the token expired and exits non-zero")
    func clientSaysSo() async throws {
        try await withServer { server in
            let token = server.token(client: "brief", role: "user", ttl: 3)
            let child = try ChildProcess.start(try TestPaths.clientBinary(),
                                               ["--data-dir", server.dataDirectory.path, "--server", "127.0.0.1:\(server.port)",
                                                "--token", token])
            #expect(await child.waitForOutput(containing: "connected as brief", within: .seconds(10)))
            let result = try await child.finish(within: .seconds(15), closingInput: false)
            child.closeInput()
            #expect(result.status != 0)
            #expect(result.stdout.contains("your token has expired"), "stdout: \(result.stdout)")
            #expect(result.stdout.contains("Get a new token"))
        }
    }
}
