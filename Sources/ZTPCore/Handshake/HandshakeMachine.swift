/// A handshake role's state machine: frames in, frames (into `out`) and a step out.
///
/// `Connection` drives it until it reports `.established`, then hands the keys to the shared
/// session engine. Implementations hold no sockets or timers; time comes in as a value.
public protocol HandshakeMachine: Sendable {
    /// The side whose frames this machine reads.
    static var peerRole: Role { get }
    /// This side.
    static var localRole: Role { get }

    /// Processes one header-checked frame of the handshake.
    mutating func receive(_ frame: FrameDecoder.RawFrame, now: Double, out: inout [UInt8]) throws(ZTPError) -> HandshakeStep

    /// Seals CLOSE(stream 0) into `out` if this side already has a send key; returns whether
    /// it did. Section 2.0: before a side has a send key, protocol errors close silently.
    mutating func sealClose(code: CloseCode, reason: [UInt8], out: inout [UInt8]) -> Bool

    /// When the handshake must have finished, if it has a limit.
    var deadline: Double? { get }
}

/// How far a handshake got after a frame.
public enum HandshakeStep: Sendable {
    /// Waiting for the peer's next frame.
    case pending
    /// Done: the session runs with these keys and parameters; `endsAt` (monotonic seconds) is
    /// when the server ends it with TOKEN_EXPIRED (section 5), nil on the client.
    case established(SessionInfo, sealer: FrameSealer, opener: FrameOpener, limits: SessionLimits, endsAt: Double?)
    /// Refused; a CLOSE with this code was written to `out` (server) or received (client).
    case rejected(ConnectionCloseReason)
}

/// Limits and thresholds of a session that are not announced in HANDSHAKE_ACK.
public struct SessionLimits: Sendable, Equatable {
    /// Bound on messages queued behind windows across all streams (section 8: at least 1 MiB).
    public var queuedBytes: Int = 1 << 20
    /// Send KEY_UPDATE after this many frames under one key (section 5: 2^32)...
    public var keyUpdateFrames: UInt64 = 1 << 32
    /// ...or after this many seconds (section 5: one hour), whichever comes first.
    public var keyUpdateSeconds: Double = 3600
    /// Give credit back as soon as a message is delivered (server handlers consume at once),
    /// or only when the application reports consumption (a client whose reader may stall).
    public var automaticCredit = true
    /// What the peer may send of frames that move no data (`FloodGuard`).
    public var floods = FloodBudgets()

    public init() {}
}
