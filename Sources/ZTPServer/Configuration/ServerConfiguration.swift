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
    public var maxPendingHandshakes = 256
    /// New connections per second from one source address, with this burst.
    public var handshakesPerSecondPerAddress: Double = 50
    public var handshakeBurstPerAddress: Double = 100
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
        if maxPendingHandshakes < 1 { return "max pending handshakes must be at least 1" }
        if queuedBytesLimit < 1 << 20 { return "queued bytes limit must be at least 1 MiB" }
        return nil
    }

    var handshakeConfiguration: ServerHandshake.Configuration {
        var configuration = ServerHandshake.Configuration()
        configuration.parameters = parameters
        configuration.handshakeTimeout = handshakeTimeout
        configuration.limits.queuedBytes = queuedBytesLimit
        configuration.limits.keyUpdateFrames = keyUpdateFrames
        configuration.limits.keyUpdateSeconds = keyUpdateSeconds
        configuration.limits.automaticCredit = true
        return configuration
    }
}
