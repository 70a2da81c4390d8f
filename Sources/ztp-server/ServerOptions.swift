import ArgumentParser
import Foundation
import ZTPCore
import ZTPManagement
import ZTPServer
import ZTPStore

/// The server's flags. Each has an environment variable of the same meaning; a flag wins.
struct ServerOptions: ParsableArguments {
    @Option(help: "ZTP listen address HOST:PORT (env ZTP_LISTEN, default 127.0.0.1:9999)")
    var listen: String?

    @Option(help: "Management API address HOST:PORT (env ZTP_HTTP_LISTEN, default 127.0.0.1:8080)")
    var httpListen: String?

    @Option(help: "Data directory (env ZTP_DATA_DIR, default ./ztp-data)")
    var dataDir: String?

    @Option(help: "Database URL postgres://user[:password]@host[:port]/db[?sslmode=disable] (env ZTP_DATABASE_URL, default the SQLite file DATA_DIR/ztp.sqlite)")
    var database: String?

    @Option(help: "With a PostgreSQL database: seconds to wait at start for a database that cannot be reached yet, 0 = not at all (env ZTP_DATABASE_WAIT, default 60)")
    var databaseWait: Double?

    @Option(help: "This server's name in its fleet (env ZTP_NODE_ID, default HOSTNAME-ZTPPORT)")
    var nodeId: String?

    @Option(help: "With a PostgreSQL database: seconds new handshakes are still accepted on the cached revocation list while the database cannot be reached; then they are refused until it is back (env ZTP_MAX_REVOCATION_STALENESS, default 30)")
    var maxRevocationStaleness: Double?

    @Option(help: "Seconds for a client to finish its handshake (env ZTP_HANDSHAKE_TIMEOUT, default 10)")
    var handshakeTimeout: Double?

    @Option(help: "Seconds without DATA before a stream is closed (env ZTP_STREAM_IDLE_TIMEOUT, default 30)")
    var streamIdleTimeout: Int?

    @Option(help: "Heartbeat interval in seconds, below the stream idle timeout (env ZTP_HEARTBEAT_INTERVAL, default 15)")
    var heartbeatInterval: Int?

    @Option(help: "Streams a session may have open at once (env ZTP_MAX_STREAMS, default 100)")
    var maxStreams: Int?

    @Option(help: "Initial flow-control window per stream and direction, bytes (env ZTP_STREAM_WINDOW, default 262144)")
    var streamWindow: Int?

    @Option(help: "Authenticated sessions at most (env ZTP_MAX_SESSIONS, default 10000)")
    var maxSessions: Int?

    @Option(help: "Connections in their handshake at most (env ZTP_MAX_HANDSHAKES, default 1024)")
    var maxHandshakes: Int?

    @Option(help: "Handshakes in progress from one address, under load (env ZTP_MAX_HANDSHAKES_PER_ADDRESS, default 8)")
    var maxHandshakesPerAddress: Int?

    @Option(help: "New connections per second from one address, under load; 0 = off (env ZTP_CONNECTION_RATE_PER_ADDRESS, default 50)")
    var connectionRatePerAddress: Double?

    @Flag(help: "Apply the per-address limits always, not only under load (env ZTP_ADDRESS_LIMITS_ALWAYS=1)")
    var addressLimitsAlways = false

    @Option(help: "Sessions of one client id at once (env ZTP_MAX_SESSIONS_PER_CLIENT, default 64)")
    var maxSessionsPerClient: Int?

    @Option(help: "Seconds for CLIENT_HELLO to arrive after accept (env ZTP_CLIENT_HELLO_TIMEOUT, default 2)")
    var clientHelloTimeout: Double?

    @Option(help: "PINGs a session may send, COUNT/SECONDS or 0 = no limit (env ZTP_PING_BUDGET, default 100/10)")
    var pingBudget: String?

    @Option(help: "Empty DATA frames a session may send, COUNT/SECONDS (env ZTP_EMPTY_DATA_BUDGET, default 1000/10)")
    var emptyDataBudget: String?

    @Option(help: "WINDOW_UPDATEs beyond one per DATA frame sent, COUNT/SECONDS (env ZTP_WINDOW_UPDATE_BUDGET, default 1000/10)")
    var windowUpdateBudget: String?

    @Option(help: "Stream opens plus closes by a session, COUNT/SECONDS (env ZTP_STREAM_CHURN_BUDGET, default 500/10)")
    var streamChurnBudget: String?

    @Option(help: "KEY_UPDATEs a session may send, COUNT/SECONDS (env ZTP_KEY_UPDATE_BUDGET, default 10/60)")
    var keyUpdateBudget: String?

    @Option(help: "Chat deliveries in one sender's fan-out batch, its one in flight (env ZTP_CHAT_DELIVERIES_PER_SENDER, default 1024)")
    var chatDeliveriesPerSender: Int?

    @Option(help: "Chat bytes held for one session behind its window before SLOW_CONSUMER, at least 1048576 (env ZTP_QUEUED_BYTES_LIMIT, default 1048576)")
    var queuedBytesLimit: Int?

    @Option(help: "Audit log rows kept at most; the oldest go first (env ZTP_AUDIT_MAX_ROWS, default 100000)")
    var auditMaxRows: Int?

    @Option(help: "JSON policy file mapping roles to streams and commands (env ZTP_POLICY)")
    var policy: String?

    @Option(help: "trace, debug, info, notice, warning, error, critical (env ZTP_LOG_LEVEL, default info)")
    var logLevel: String?

    @Option(help: "text or json (env ZTP_LOG_FORMAT, default text)")
    var logFormat: String?

    @Flag(help: "Do not write DATA_DIR/demo.token on first run (env ZTP_NO_DEMO_TOKEN=1)")
    var noDemoToken = false

    static let environment = ProcessInfo.processInfo.environment

    func value(_ flag: String?, _ variable: String, _ fallback: String) -> String {
        flag ?? Self.environment[variable] ?? fallback
    }

    func number<T: LosslessStringConvertible>(_ flag: T?, _ variable: String, _ fallback: T) throws -> T {
        if let flag { return flag }
        guard let text = Self.environment[variable] else { return fallback }
        guard let parsed = T(text) else { throw ValidationError("\(variable)=\(text) is not a valid number") }
        return parsed
    }

    /// A flood budget, `COUNT/SECONDS` or `0` for none.
    func budget(_ flag: String?, _ variable: String, _ fallback: FloodBudget) throws -> FloodBudget {
        guard let text = flag ?? Self.environment[variable] else { return fallback }
        guard let parsed = FloodBudget(text) else {
            let name = flag != nil ? "--" + variable.dropFirst(4).lowercased().replacingOccurrences(of: "_", with: "-") : variable
            throw ValidationError("\(name) must be COUNT/SECONDS (e.g. 100/10) or 0, got '\(text)'")
        }
        return parsed
    }

    var dataDirectory: String { value(dataDir, "ZTP_DATA_DIR", "./ztp-data") }

    /// The store: `--database` or `ZTP_DATABASE_URL`, else the SQLite file in the data directory.
    func databaseLocation() throws -> DatabaseLocation {
        try Self.databaseLocation(flag: database, dataDirectory: dataDirectory)
    }

    /// Shared with `token issue`. The error names the flag and why, never the URL's password.
    static func databaseLocation(flag: String?, dataDirectory: String) throws -> DatabaseLocation {
        let url = flag ?? environment["ZTP_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            return try DatabaseLocation.choose(url: url, defaultPath: dataDirectory + "/" + DataDirectory.storeFile)
        } catch {
            throw ValidationError("\(flag != nil ? "--database" : "ZTP_DATABASE_URL"): \(error)")
        }
    }

    /// Seconds a fleet node goes on accepting handshakes without catching up on revocations.
    func revocationStaleness() throws -> Double {
        let seconds = try number(maxRevocationStaleness, "ZTP_MAX_REVOCATION_STALENESS", 30.0)
        guard seconds >= 1, seconds.isFinite else {
            throw ValidationError("--max-revocation-staleness must be at least 1 second, got \(seconds)")
        }
        return seconds
    }

    func databaseStartupWait() throws -> Double {
        let seconds = try number(databaseWait, "ZTP_DATABASE_WAIT", 60.0)
        guard seconds >= 0, seconds <= 3600 else {
            throw ValidationError("--database-wait must be from 0 to 3600 seconds, got \(seconds)")
        }
        return seconds
    }

    /// The node id: 1 to 128 characters, no control characters.
    func nodeID(ztpPort: Int) throws -> String {
        let id = value(nodeId, "ZTP_NODE_ID", Fleet.defaultNodeID(ztpPort: ztpPort))
        guard (1...128).contains(id.count), !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ValidationError("--node-id must be 1 to 128 characters without control characters, got '\(id)'")
        }
        return id
    }

    /// The audit log's row cap, at least 1.
    func auditRowCap() throws -> Int {
        let cap = try number(auditMaxRows, "ZTP_AUDIT_MAX_ROWS", Store.defaultAuditRowCap)
        guard cap >= 1 else { throw ValidationError("--audit-max-rows must be at least 1, got \(cap)") }
        return cap
    }

    var writesDemoToken: Bool { !(noDemoToken || Self.environment["ZTP_NO_DEMO_TOKEN"] == "1") }

    /// The validated configuration of the ZTP listener.
    func serverConfiguration() throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        (configuration.host, configuration.port) = try Self.hostPort(value(listen, "ZTP_LISTEN", "127.0.0.1:9999"), what: "--listen")
        configuration.handshakeTimeout = try number(handshakeTimeout, "ZTP_HANDSHAKE_TIMEOUT", 10)
        configuration.parameters.streamIdleTimeout = try number(streamIdleTimeout, "ZTP_STREAM_IDLE_TIMEOUT", 30)
        configuration.parameters.heartbeatInterval = try number(heartbeatInterval, "ZTP_HEARTBEAT_INTERVAL", 15)
        configuration.parameters.maxStreams = try number(maxStreams, "ZTP_MAX_STREAMS", 100)
        configuration.parameters.streamWindow = try number(streamWindow, "ZTP_STREAM_WINDOW", 262_144)
        configuration.maxSessions = try number(maxSessions, "ZTP_MAX_SESSIONS", 10_000)
        configuration.maxHandshakes = try number(maxHandshakes, "ZTP_MAX_HANDSHAKES", 1024)
        configuration.maxHandshakesPerAddress = try number(maxHandshakesPerAddress, "ZTP_MAX_HANDSHAKES_PER_ADDRESS", 8)
        configuration.connectionRatePerAddress = try number(connectionRatePerAddress, "ZTP_CONNECTION_RATE_PER_ADDRESS", 50)
        configuration.addressLimitsAlways = addressLimitsAlways || Self.environment["ZTP_ADDRESS_LIMITS_ALWAYS"] == "1"
        configuration.maxSessionsPerClient = try number(maxSessionsPerClient, "ZTP_MAX_SESSIONS_PER_CLIENT", 64)
        configuration.clientHelloTimeout = try number(clientHelloTimeout, "ZTP_CLIENT_HELLO_TIMEOUT", 2)
        configuration.chatDeliveriesPerSender = try number(chatDeliveriesPerSender, "ZTP_CHAT_DELIVERIES_PER_SENDER", 1024)
        configuration.queuedBytesLimit = try number(queuedBytesLimit, "ZTP_QUEUED_BYTES_LIMIT", 1 << 20)
        let defaults = FloodBudgets()
        configuration.floodBudgets.pings = try budget(pingBudget, "ZTP_PING_BUDGET", defaults.pings)
        configuration.floodBudgets.emptyData = try budget(emptyDataBudget, "ZTP_EMPTY_DATA_BUDGET", defaults.emptyData)
        configuration.floodBudgets.windowUpdates = try budget(windowUpdateBudget, "ZTP_WINDOW_UPDATE_BUDGET", defaults.windowUpdates)
        configuration.floodBudgets.streamChurn = try budget(streamChurnBudget, "ZTP_STREAM_CHURN_BUDGET", defaults.streamChurn)
        configuration.floodBudgets.keyUpdates = try budget(keyUpdateBudget, "ZTP_KEY_UPDATE_BUDGET", defaults.keyUpdates)
        if let path = policy ?? Self.environment["ZTP_POLICY"] {
            do {
                configuration.policy = try Policy.load(from: path)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        if let problem = configuration.problem { throw ValidationError(problem) }
        return configuration
    }

    var httpAddress: (host: String, port: Int) {
        get throws { try Self.hostPort(value(httpListen, "ZTP_HTTP_LISTEN", "127.0.0.1:8080"), what: "--http-listen") }
    }

    /// Splits `HOST:PORT` (IPv6 as `[::1]:PORT`).
    static func hostPort(_ text: String, what: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("\(what) must be HOST:PORT, got '\(text)'")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("\(what) must name a host, got '\(text)'") }
        return (host, port)
    }
}
