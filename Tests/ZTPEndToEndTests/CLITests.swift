import Foundation
import Testing

/// The `ztp-client` executable against a real server.
@Suite("Command-line client")
struct CLITests {
    @Test("--exec ping prints pong and exits 0; --exec bogus exits non-zero")
    func exec() async throws {
        try await withServer { server in
            let client = try TestPaths.clientBinary()
            let common = ["--data-dir", server.dataDirectory.path, "--server", "127.0.0.1:\(server.port)"]
            let ping = try await ChildProcess.run(client, common + ["--exec", "ping"])
            #expect(ping.status == 0, "stderr: \(ping.stderr)")
            #expect(ping.stdout == "pong\n")
            let echo = try await ChildProcess.run(client, common + ["--exec", "echo hi there"])
            #expect(echo.status == 0)
            #expect(echo.stdout == "hi there\n")
            let bogus = try await ChildProcess.run(client, common + ["--exec", "bogus"])
            #expect(bogus.status != 0)
            #expect(bogus.stdout.contains("error: unknown command"))
            let forbidden = try await ChildProcess.run(client, common + ["--exec", "sessions"])
            #expect(forbidden.status != 0, "the demo token is a user's")
        }
    }

    @Test("--chat sends one message and prints the server's ok")
    func chat() async throws {
        try await withServer { server in
            let listener = try await Participant.join(server, "listener")
            let result = try await ChildProcess.run(try TestPaths.clientBinary(),
                                                    ["--data-dir", server.dataDirectory.path, "--server", "127.0.0.1:\(server.port)",
                                                     "--chat", "hello from the shell"])
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stdout == "ok: delivered to 1\n")
            #expect(try await listener.chatInbox.next() == "demo: hello from the shell")
        }
    }

    @Test("a wrong --server-key or a refused token makes the CLI exit non-zero")
    func failures() async throws {
        try await withServer { server in
            let client = try TestPaths.clientBinary()
            let common = ["--data-dir", server.dataDirectory.path, "--server", "127.0.0.1:\(server.port)", "--exec", "ping"]
            let wrongKey = try await ChildProcess.run(client, common + ["--server-key", String(repeating: "ab", count: 32)])
            #expect(wrongKey.status != 0)
            #expect(wrongKey.stdout.isEmpty)
            let badToken = try await ChildProcess.run(client, common + ["--token", "not-a-token"])
            #expect(badToken.status != 0)
            #expect(badToken.stderr.contains("AUTH_FAILED"), "stderr: \(badToken.stderr)")
        }
    }

    @Test("zero flags: a server started without --data-dir writes ./ztp-data, and a client run in that directory finds key and token")
    func zeroFlags() async throws {
        try await withServer(ServerProcess.quickTimeouts, dataDirFlag: false) { server in
            #expect(FileManager.default.fileExists(atPath: server.workDirectory.appendingPathComponent("ztp-data/demo.token").path))
            // The port comes from the environment only because 9999 may be taken on a shared machine.
            let environment = ["ZTP_SERVER": "127.0.0.1:\(server.port)"]
            let ping = try await ChildProcess.run(try TestPaths.clientBinary(), ["--exec", "ping"],
                                                  in: server.workDirectory, environment: environment)
            #expect(ping.status == 0, "stderr: \(ping.stderr)")
            #expect(ping.stdout == "pong\n")

            // Interactive, no flags at all: two prompts chat with each other. Their stdout is a
            // file and their stdin a pipe that stays open, as under a script or `tee`.
            // (Regression: output stalled until the next input line, see Interactive.swift.)
            let first = try ChildProcess.start(try TestPaths.clientBinary(), [], in: server.workDirectory, environment: environment)
            let second = try ChildProcess.start(try TestPaths.clientBinary(), [], in: server.workDirectory, environment: environment)
            #expect(await first.waitForOutput(containing: "connected as demo (user), session "), "\(first.stdout) \(first.stderr)")
            #expect(await second.waitForOutput(containing: "connected as demo (user), session "), "\(second.stdout) \(second.stderr)")
            first.write("ping\n")
            second.write("whoami\n")
            #expect(await first.waitForOutput(containing: "pong"), "control words go to stream 2: \(first.stdout) \(first.stderr)")
            #expect(await second.waitForOutput(containing: "demo user"), "second: \(second.stdout) \(second.stderr)")
            first.write("good morning\n")
            #expect(await second.waitForOutput(containing: "demo: good morning"), "chat arrives: \(second.stdout)")
            #expect(await first.waitForOutput(containing: "ok: delivered to 1"), "the sender sees its ok: \(first.stdout) \(first.stderr)")
            first.write("/quit\n")
            let firstResult = try await first.finish(within: .seconds(10))
            let secondResult = try await second.finish(within: .seconds(10))
            #expect(firstResult.status == 0, "\(firstResult)")
            #expect(secondResult.status == 0, "\(secondResult)")
        }
    }
}
