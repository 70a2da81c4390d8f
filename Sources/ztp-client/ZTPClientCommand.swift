import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import ZTPClient
import ZTPCore

@main
struct ZTPClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ztp-client",
        abstract: "Talk to a ZTP server: interactive chat and control, or one command for scripts.",
        discussion: """
        Interactive: control words (ping, time, status, echo TEXT, whoami, help, sessions) go to stream 2;
        any other line is chat on stream 1 (@client text is private); incoming chat appears as it arrives.
        Type /quit or end input to leave.
        """)

    @Option(help: "Server address HOST:PORT (env ZTP_SERVER, default 127.0.0.1:9999)") var server: String?
    @Option(help: "Data directory with server.pub and demo.token (env ZTP_DATA_DIR, default ./ztp-data)") var dataDir: String?
    @Option(help: "The server's Ed25519 public key, 64 hex digits") var serverKey: String?
    @Option(help: "Known-servers file for trust on first use (default ~/.ztp/known_servers)") var knownServers: String?
    @Flag(help: "Trust and remember an unknown server's key on first connection") var trustOnFirstUse = false
    @Option(help: "Token (else --token-file, env ZTP_TOKEN, DATA_DIR/demo.token)") var token: String?
    @Option(help: "File holding the token") var tokenFile: String?
    @Option(help: "Run one control command, print the reply, exit (non-zero on error)") var exec: String?
    @Option(help: "Send one chat message, print the server's reply, exit") var chat: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let address = server ?? environment["ZTP_SERVER"] ?? "127.0.0.1:9999"
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw ValidationError("--server must be HOST:PORT")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let dataDirectory = dataDir ?? environment["ZTP_DATA_DIR"] ?? "./ztp-data"
        let tokenText = try resolveToken(dataDirectory: dataDirectory, environment: environment)
        let resolver = ServerKeyResolver(
            explicitKey: serverKey, dataDirectory: dataDirectory,
            knownServersFile: knownServers ?? ((environment["HOME"] ?? ".") + "/.ztp/known_servers"),
            trustOnFirstUse: trustOnFirstUse)
        let trust: ClientHandshake.ServerTrust
        let seenKey = NIOLockedValueBox<[UInt8]?>(nil)
        let resolution = try resolver.resolve(host: host, port: port)
        switch resolution {
        case .pinned(let key): trust = .pinned(key)
        case .firstUse: trust = .custom { key in seenKey.withLockedValue { $0 = key }; return true }
        }
        let client: ZTPClient
        do {
            client = try await ZTPClient.connect(host: host, port: port, token: tokenText, trust: trust)
        } catch {
            throw ExitCodeError(message: "ztp-client: \(error)")
        }
        if case .firstUse(let name) = resolution, let key = seenKey.withLockedValue({ $0 }) {
            try resolver.remember(key, for: name)
            FileHandle.standardError.write(Data("trusting new server \(name) with key \(key.lowercaseHex)\n".utf8))
        }
        if let exec {
            try await runOnce(client: client, stream: 2, message: exec)
        } else if let chat {
            try await runOnce(client: client, stream: 1, message: chat)
        } else {
            try await Interactive(client: client).run()
        }
    }

    private func resolveToken(dataDirectory: String, environment: [String: String]) throws -> String {
        if let token { return token }
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError("cannot read token file \(tokenFile)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let fromEnvironment = environment["ZTP_TOKEN"], !fromEnvironment.isEmpty { return fromEnvironment }
        let demo = (dataDirectory as NSString).appendingPathComponent("demo.token")
        guard let text = try? String(contentsOfFile: demo, encoding: .utf8) else {
            throw ValidationError("no token: pass --token or --token-file, set ZTP_TOKEN, or run the server once to write \(demo)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Sends one message and prints the reply meant for us (on chat, the `ok:`/`error:` line).
    private func runOnce(client: ZTPClient, stream id: UInt32, message: String) async throws {
        let stream = try await client.openStream(id)
        try await stream.send(message)
        var failed = false
        do {
            for try await reply in stream {
                let text = String(decoding: reply, as: UTF8.self)
                if id == 1, !(text.hasPrefix("ok:") || text.hasPrefix("error:")) { continue }
                print(text)
                failed = text.hasPrefix("error:")
                break
            }
        } catch {
            await client.close()
            throw ExitCodeError(message: "ztp-client: \(error)")
        }
        await client.close()
        if failed { throw ExitCode(1) }
    }
}

/// Prints a message to stderr and exits 1.
struct ExitCodeError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
