import Foundation
import Testing
import ZTPClient
import ZTPCore

/// `--policy FILE` redefines which role may use which stream and command (section 8).
@Suite("Policy file")
struct PolicyFileTests {
    static let policy = #"""
    {"roles": {"ops": {"streams": [2], "commands": ["ping", "whoami", "help"]},
               "talker": {"streams": [1], "commands": []}}}
    """#

    @Test("roles, streams and commands come from the policy file")
    func customPolicy() async throws {
        try await withServer(ServerProcess.quickTimeouts + ["--policy", "policy.json"], prepare: { work in
            try Self.policy.write(to: work.appendingPathComponent("policy.json"), atomically: true, encoding: .utf8)
        }) { server in
            // Regression: a policy without `user` made the first run trap while writing the demo
            // token (role `user`); now the server starts and writes none.
            #expect(!FileManager.default.fileExists(atPath: server.file("demo.token").path))
            let ops = try await server.connect("op", role: "ops")
            let control = Inbox.reading(try await ops.openStream(2))
            for (request, reply) in [("ping", "pong"), ("whoami", "op ops"), ("status", "error: forbidden"),
                                     ("echo hi", "error: forbidden"), ("help", "commands: ping whoami help")] {
                try await control.stream.send(request)
                let answer = try await control.next()
                if request == "help" {
                    #expect(Set(answer.split(separator: " ").map(String.init)).isSuperset(of: ["ping", "whoami", "help"]))
                    #expect(!answer.contains("status"))
                } else {
                    #expect(answer == reply, "\(request)")
                }
            }
            let opsChat = Inbox.reading(try await ops.openStream(1))
            #expect(try await opsChat.end().error?.code == .streamClosed(.forbidden))

            let talker = try await server.connect("tom", role: "talker")
            let talkerControl = Inbox.reading(try await talker.openStream(2))
            #expect(try await talkerControl.end().error?.code == .streamClosed(.forbidden))
            let talkerChat = Inbox.reading(try await talker.openStream(1))
            try await talkerChat.stream.send("hello")
            #expect(try await talkerChat.next() == "ok: delivered to 0")

            // The default roles are gone with the default policy.
            let error = await #expect(throws: ZTPClientError.self) { try await server.connect("alice", role: "user") }
            #expect(error?.code == .closedByServer(.unknownRole))
        }
    }
}
