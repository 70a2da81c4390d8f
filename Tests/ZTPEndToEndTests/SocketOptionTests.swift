import Foundation
import Testing
import ZTPTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What the kernel says about live connections: Nagle off at both ends, socket debugging never
/// turned on, and the server and CLI processes running unprivileged when the tests are root.
@Suite("Socket options of live connections")
struct SocketOptionTests {
    @Test("server, client library and ztp-client CLI: TCP_NODELAY on, SO_DEBUG off, children unprivileged")
    func noDelayAtBothEnds() async throws {
        try await withServer { server in
            // The library client, in this process.
            let client = try await server.connect("probe")
            let library = try #require(try SocketProbe.endpoints(remotePort: server.port, pid: getpid()).first)
            #expect(try library.options() == SocketProbe.Options(noDelay: true, debug: false), "library \(library)")
            let accepted = try #require(try SocketProbe.endpoints(localPort: server.port, remotePort: library.localPort).first,
                                        "the server's end of the library's connection")
            #expect(try accepted.options() == SocketProbe.Options(noDelay: true, debug: false), "server \(accepted)")
            if let account = Unprivileged.account {
                #expect(accepted.uid == account.uid, "the server must run as \(account), not \(accepted.uid)")
            }

            // The CLI, interactive so that its connection stays open while it is probed.
            let cli = try ChildProcess.start(try TestPaths.clientBinary(),
                                             ["--data-dir", server.dataDirectory.path, "--server", "127.0.0.1:\(server.port)"])
            #expect(await cli.waitForOutput(containing: "connected as demo"), "stderr: \(cli.stderr)")
            let cliEnd = try #require(try SocketProbe.endpoints(remotePort: server.port, pid: cli.pid).first, "the CLI's connection")
            #expect(try cliEnd.options() == SocketProbe.Options(noDelay: true, debug: false), "ztp-client \(cliEnd)")
            let cliPeer = try #require(try SocketProbe.endpoints(localPort: server.port, remotePort: cliEnd.localPort).first)
            #expect(try cliPeer.options() == SocketProbe.Options(noDelay: true, debug: false), "server \(cliPeer)")
            if let account = Unprivileged.account {
                #expect(cliEnd.uid == account.uid, "ztp-client must run as \(account), not \(cliEnd.uid)")
            }
            cli.write("/quit\n")
            _ = try await cli.finish()
            await client.close()
        }
    }
}
