import Foundation

/// One thing that happened in the server, as `GET /v1/events` shows it (see docs/EVENTS.md).
///
/// Fields not meaningful for an event's type are nil. No field ever holds a token, a secret
/// or a message's content: an event names sessions, clients, streams and token ids only.
public struct ServerEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case sessionOpened = "session.opened"
        case sessionClosed = "session.closed"
        case streamOpened = "stream.opened"
        case streamClosed = "stream.closed"
        case chatSent = "chat.sent"
        case tokenIssued = "token.issued"
        case tokenRevoked = "token.revoked"
        case tokenExpired = "token.expired"
        case authFailed = "auth.failed"
        case serverStarted = "server.started"
        case serverDraining = "server.draining"
    }

    /// The `code` of a session or stream that ended because TCP ended without any CLOSE.
    public static let disconnected = "DISCONNECTED"

    /// Monotonic from 1 in each process (the SSE `id`).
    public var id: UInt64
    public var time: Date
    public var type: Kind
    public var sessionID: String?
    public var clientID: String?
    public var role: String?
    /// The peer's `ip:port` (for `auth.failed`: its IP, which is what failures are counted by).
    public var remoteAddress: String?
    public var streamID: UInt32?
    /// The stream handler's kind: `chat`, `control`, ...
    public var streamKind: String?
    /// A close code's name (`NORMAL`, `TERMINATED`, ...) or `DISCONNECTED`.
    public var code: String?
    /// The close reason text, when one was sent or received.
    public var reason: String?
    public var jti: String?
    /// How many failures an `auth.failed` event stands for; how many messages a `chat.sent`.
    public var count: Int?
    public var detail: String?

    public init(id: UInt64, time: Date, type: Kind, sessionID: String? = nil, clientID: String? = nil,
                role: String? = nil, remoteAddress: String? = nil, streamID: UInt32? = nil, streamKind: String? = nil,
                code: String? = nil, reason: String? = nil, jti: String? = nil, count: Int? = nil, detail: String? = nil) {
        self.id = id
        self.time = time
        self.type = type
        self.sessionID = sessionID
        self.clientID = clientID
        self.role = role
        self.remoteAddress = remoteAddress
        self.streamID = streamID
        self.streamKind = streamKind
        self.code = code
        self.reason = reason
        self.jti = jti
        self.count = count
        self.detail = detail
    }
}
