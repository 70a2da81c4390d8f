import ZTPCore

/// Everything the ZTP listener needs to know, with the defaults of ZTP-1 and the README.
///
/// Reading flags, environment variables and files happens in the executable; this type only
/// holds validated values.
public struct ServerConfiguration: Sendable {
    /// Where the ZTP listener binds.
    public var host = "127.0.0.1"
    public var port = 9999
    /// Announced in HANDSHAKE_ACK: max streams, window, stream idle timeout, heartbeat.
    public var parameters = SessionParameters()
    /// Seconds from accept until HANDSHAKE_INIT must have arrived (section 3.7).
    public var handshakeTimeout: Double = 10
    /// Authenticated sessions at most; connections beyond are refused at accept.
    public var maxSessions = 10_000
    /// Connections still in their handshake at most: a flood of hellos cannot take the
    /// server's CPU (each costs two X25519 operations and a signature) from live sessions.
    public var maxHandshakes = 1024
    /// Handshakes in progress from one source address at most, once the server is under load.
    public var maxHandshakesPerAddress = 8
    /// New connections per second from one source address (burst: two seconds' worth), once
    /// the server is under load; 0 turns the rate limit off.
    public var connectionRatePerAddress: Double = 50
    /// Apply the per-address limits always, not only under load (more than half of
    /// `maxHandshakes` in progress). Many real clients share one address (NAT, a proxy), so
    /// by default one busy address is only held back when others need the room.
    public var addressLimitsAlways = false
    /// Sessions of one client id at once; past it the handshake ends with TOO_MANY_SESSIONS.
    public var maxSessionsPerClient = 64
    /// Seconds from accept until CLIENT_HELLO must have arrived (inside `handshakeTimeout`).
    public var clientHelloTimeout: Double = 2
    /// Budgets for frames that move no data (PING, empty DATA, WINDOW_UPDATE, stream churn,
    /// KEY_UPDATE); past one the session is closed with PROTOCOL_ERROR naming it.
    public var floodBudgets = FloodBudgets()
    /// Chat deliveries in one sender's batch (its one fan-out in flight, at least one message);
    /// the sender's input waits (TCP pushes back) while messages wait behind the batch.
    public var chatDeliveriesPerSender = 1024
    /// Bytes written to a peer and not yet taken by its TCP stack, per session. A session past
    /// it has stopped reading and is closed with SLOW_CONSUMER instead of growing memory.
    public var outboundLimit = 4 << 20
    /// Chat messages held for one session behind its window (section 8: at least 1 MiB).
    public var queuedBytesLimit = 1 << 20
    /// KEY_UPDATE thresholds (section 5).
    public var keyUpdateFrames: UInt64 = 1 << 32
    public var keyUpdateSeconds: Double = 3600
    /// Seconds to wait for sessions to flush their SERVER_SHUTDOWN close on stop.
    public var shutdownGracePeriod: Double = 5
    /// Which role may use which stream and command.
    public var policy = Policy.default

    public init() {}

    /// Why this configuration cannot run, or nil.
    public var problem: String? {
        if let problem = parameters.problem { return problem }
        if !(1...65535).contains(port) && port != 0 { return "port must be 0 to 65535" }
        if handshakeTimeout <= 0 { return "handshake timeout must be positive" }
        if maxSessions < 1 { return "max sessions must be at least 1" }
        if maxHandshakes < 1 { return "max handshakes must be at least 1" }
        if maxHandshakesPerAddress < 1 { return "max handshakes per address must be at least 1" }
        if !(connectionRatePerAddress >= 0) || !connectionRatePerAddress.isFinite { return "connection rate per address must be 0 or more" }
        if maxSessionsPerClient < 1 { return "max sessions per client must be at least 1" }
        if !(clientHelloTimeout > 0) { return "client hello timeout must be positive" }
        if chatDeliveriesPerSender < 1 { return "chat deliveries per sender must be at least 1" }
        if queuedBytesLimit < 1 << 20 { return "queued bytes limit must be at least 1 MiB" }
        return nil
    }

    var handshakeConfiguration: ServerHandshake.Configuration {
        var configuration = ServerHandshake.Configuration()
        configuration.parameters = parameters
        configuration.handshakeTimeout = handshakeTimeout
        configuration.clientHelloTimeout = clientHelloTimeout
        configuration.limits.floods = floodBudgets
        configuration.limits.queuedBytes = queuedBytesLimit
        configuration.limits.keyUpdateFrames = keyUpdateFrames
        configuration.limits.keyUpdateSeconds = keyUpdateSeconds
        configuration.limits.automaticCredit = true
        return configuration
    }
}
