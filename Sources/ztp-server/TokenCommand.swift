import ArgumentParser
import Foundation
import ZTPCore
import ZTPManagement
import ZTPServer
import ZTPStore

/// `ztp-server token issue`: prints a token signed with the data directory's secret.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Issue tokens from the command line.", subcommands: [Issue.self])

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a new token signed with DATA_DIR/token.secret.")

        @Option(help: "Client id, [A-Za-z0-9._@-]{1,64}") var client: String
        @Option(help: "Role, one of the policy's roles") var role: String
        @Option(help: "Lifetime in seconds (1 s to 30 days, default 3600)") var ttl: Int = 3600
        @Option(help: "Data directory (env ZTP_DATA_DIR, default ./ztp-data)") var dataDir: String?
        @Option(help: "JSON policy file, to check the role (env ZTP_POLICY)") var policy: String?
        @Option(help: "Database URL, as the server's --database (env ZTP_DATABASE_URL, default DATA_DIR/ztp.sqlite)")
        var database: String?

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            guard TokenClaims.isValidClientID(client) else {
                throw ValidationError("client id must match [A-Za-z0-9._@-]{1,64}")
            }
            let policy = try (policy ?? environment["ZTP_POLICY"]).map { try Policy.load(from: $0) } ?? .default
            guard policy.isKnown(role: role) else {
                throw ValidationError("unknown role '\(role)'; known: \(policy.roles.keys.sorted().joined(separator: ", "))")
            }
            guard (1...2_592_000).contains(ttl) else { throw ValidationError("ttl must be 1 to 2592000 seconds") }
            let path = dataDir ?? environment["ZTP_DATA_DIR"] ?? "./ztp-data"
            let location = try ServerOptions.databaseLocation(flag: database, dataDirectory: path)
            let directory = try DataDirectory(path: path)
            let issued = try TokenIssuer(directory: directory, database: location, policy: policy).issue(clientID: client, role: role, ttl: ttl, actor: "cli")
            print(issued.token)
        }
    }
}
