import ArgumentParser
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import ZTPCore
import ZTPServer

@main
struct ZTPServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ztp-server",
        abstract: "The ZTP server: the ZTP listener and its management API in one process.",
        subcommands: [Serve.self, TokenCommand.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (the default).")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        MemoryTuning.apply()
        let configuration = try options.serverConfiguration()
        let httpAddress = try options.httpAddress
        let auditRowCap = try options.auditRowCap()
        let database = try options.databaseLocation()
        let revocationStaleness = try options.revocationStaleness()
        let databaseWait = try options.databaseStartupWait()
        let nodeID = try options.nodeID(ztpPort: configuration.port)
        try LoggingSetup.bootstrap(level: options.value(options.logLevel, "ZTP_LOG_LEVEL", "info"),
                                   format: options.value(options.logFormat, "ZTP_LOG_FORMAT", "text"))
        let logger = Logger(label: "ztp")
        let app = try ServerApp(configuration: configuration, dataDirectory: options.dataDirectory,
                                httpHost: httpAddress.host, httpPort: httpAddress.port,
                                writeDemoToken: options.writesDemoToken, database: database, databaseWait: databaseWait, auditRowCap: auditRowCap,
                                revocationStaleness: revocationStaleness, nodeID: nodeID, logger: logger)
        try await app.run()
    }
}
