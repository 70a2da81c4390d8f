import ArgumentParser
import Foundation
import Logging
import NIOPosix
import ZTPCore
import ZTPServer

/// `ztp-bench serve`: the real `ZTPListener` with the standard router plus the bench streams
/// (10 and 101-131 sink, 11 echo, 12 source), registered through the ordinary `StreamHandler` API.
///
/// Keys come from the parent: `ZTP_BENCH_SECRET` (token secret) and `ZTP_BENCH_SEED` (identity
/// seed), both hex, so the parent mints tokens and pins the key without files. Prints
/// `ready PORT` on stdout once bound; runs until killed.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the benchmark's ZTP server.")

    @Option(help: "ZTP listen address HOST:PORT (port 0 picks one)")
    var listen = "127.0.0.1:0"

    @Option(help: "Authenticated sessions at most")
    var maxSessions = 20_000

    @Option(help: "Initial flow-control window per stream, bytes (the server's default: 262144)")
    var streamWindow = 262_144

    /// The role the bench tokens carry: the default policy's streams plus the bench streams.
    static let role = "bench"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let secretHex = environment["ZTP_BENCH_SECRET"], let secret = [UInt8](hex: secretHex),
              let seedHex = environment["ZTP_BENCH_SEED"], let seed = [UInt8](hex: seedHex), seed.count == Ed25519.seedCount else {
            throw ValidationError("ZTP_BENCH_SECRET and ZTP_BENCH_SEED (hex) must be set by the parent")
        }
        Limits.raiseOpenFiles()
        let (host, port) = try HostPort.parse(listen)
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxSessions = maxSessions
        configuration.parameters.streamWindow = streamWindow
        // The bench connects thousands of times from 127.0.0.1 with one client id: per-address
        // and per-client limits would measure the limiters, not the handshake.
        configuration.connectionRatePerAddress = 0
        configuration.maxHandshakesPerAddress = configuration.maxHandshakes
        configuration.maxSessionsPerClient = max(1, maxSessions)
        let benchStreams: Set<UInt32> = [1, 2, SinkHandler.streamID, EchoHandler.streamID, SourceHandler.streamID]
        configuration.policy.roles[Self.role] = Policy.Role(streams: benchStreams.union(SinkHandler.moreStreamIDs),
                                                             commands: Policy.userCommands)
        var router = StreamRouter.standard()
        let sink = SinkHandler()
        for id in [SinkHandler.streamID] + Array(SinkHandler.moreStreamIDs) { router.register(sink, on: id) }
        router.register(EchoHandler(), on: EchoHandler.streamID)
        router.register(SourceHandler(), on: SourceHandler.streamID)
        var logger = Logger(label: "ztp.bench.server")
        logger.logLevel = .warning
        let services = ServerServices(configuration: configuration, identity: Ed25519.KeyPair(seed: SecretBytes(seed)),
                                      tokenSecret: SecretBytes(secret), router: router, logger: logger)
        let listener = ZTPListener(services: services, group: MultiThreadedEventLoopGroup.singleton)
        let address = try await listener.bind()
        print("ready \(address.port ?? 0)")
        fflush(nil)
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
