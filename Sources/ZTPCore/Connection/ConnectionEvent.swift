import NIOCore

/// What a connection tells the layer above after it has taken bytes or time.
public enum ConnectionEvent: Equatable, Sendable {
    /// The handshake finished; the session is usable.
    case established(SessionInfo)
    /// The client opened a stream (server side only).
    case streamOpened(UInt32)
    /// A stream open was refused with this code; the session goes on (server side only).
    case streamRejected(UInt32, CloseCode)
    /// A non-empty message on an open stream. Empty DATA frames are keep-alives, not messages.
    /// The payload is a slice of the connection's receive buffer (see `Connection.receive`).
    case data(stream: UInt32, payload: ByteBuffer)
    /// A stream ended, by the peer's CLOSE or by this side (idle timeout, handler, admin).
    case streamClosed(UInt32, CloseCode, reason: String, byPeer: Bool)
    /// A stream that had messages queued can take more (its window grew).
    case streamWritable(UInt32)
    /// The answer to one of our PINGs.
    case pong([UInt8])
    /// The connection is over: flush `outbound` (it may hold a final CLOSE) and close TCP.
    case closed(ConnectionCloseReason)
}

/// Why a connection ended; the server counts these by kind.
public enum ConnectionCloseReason: Equatable, Sendable {
    /// The peer sent CLOSE on stream 0 (for a client during the handshake: the server refused).
    case peerClosed(CloseCode, reason: String)
    /// This side closed with this code (shutdown, admin, idle, token failure at handshake).
    case local(CloseCode)
    /// The peer broke the protocol.
    case protocolError(ZTPError)
    /// The handshake did not complete in time (server), or the server went silent (client).
    case timeout

    /// The close code this reason stands for.
    public var code: CloseCode {
        switch self {
        case .peerClosed(let code, _), .local(let code): return code
        case .protocolError(let error): return error.code
        case .timeout: return .idleTimeout
        }
    }
}

/// What both sides know about an established session.
public struct SessionInfo: Equatable, Sendable {
    /// `sid` as 32 lowercase hex digits.
    public var sessionID: String
    public var clientID: String
    public var role: String
    /// The token's `jti` (known to the server only; empty on the client).
    public var tokenID: String
    /// The token's `exp` (server only; 0 on the client).
    public var tokenExpiresAt: Int64
    public var parameters: SessionParameters
}
