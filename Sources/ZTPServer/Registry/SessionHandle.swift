import Foundation
import NIOCore
import NIOConcurrencyHelpers
import ZTPCore

/// The registry's entry for one live session: its identity, its last published counters,
/// and a way to ask its connection to do something on the connection's own event loop.
public final class SessionHandle: Sendable {
    public let id: String
    public let clientID: String
    public let role: String
    public let tokenID: String
    /// The peer's `ip:port` (`[ip]:port` for IPv6).
    public let remoteAddress: String
    public let connectedAt: Date
    let eventLoop: any EventLoop
    private let connection: NIOLoopBound<WeakConnection>
    private let live: NIOLockedValueBox<LiveSessionState>

    init(info: SessionInfo, remoteAddress: String, connectedAt: Date, eventLoop: any EventLoop, connection: ConnectionHandler) {
        id = info.sessionID
        clientID = info.clientID
        role = info.role
        tokenID = info.tokenID
        self.remoteAddress = remoteAddress
        self.connectedAt = connectedAt
        self.eventLoop = eventLoop
        self.connection = NIOLoopBound(WeakConnection(connection), eventLoop: eventLoop)
        live = NIOLockedValueBox(LiveSessionState(lastActivityAt: connectedAt))
    }

    /// Replaces the published counters (called by the connection on its loop).
    func publish(_ state: LiveSessionState) {
        live.withLockedValue { $0 = state }
    }

    public var snapshot: SessionSnapshot {
        let state = live.withLockedValue { $0 }
        return SessionSnapshot(id: id, clientID: clientID, role: role, tokenID: tokenID, remoteAddress: remoteAddress,
                               connectedAt: connectedAt, lastActivityAt: state.lastActivityAt, statistics: state.statistics,
                               keyEpoch: state.keyEpoch, streams: state.streams)
    }

    /// Runs `body` with the connection at once, from code already on its event loop (a stream
    /// handler's call); nothing when the connection is gone. No future: for per-message paths.
    func onLoop(_ body: (ConnectionHandler) -> Void) {
        if let connection = connection.value.connection { body(connection) }
    }

    /// Runs `body` with the connection on its event loop; the future says false when the
    /// connection is already gone.
    func withConnection(_ body: @escaping @Sendable (ConnectionHandler) -> Bool) -> EventLoopFuture<Bool> {
        if eventLoop.inEventLoop {
            return eventLoop.makeSucceededFuture(connection.value.connection.map(body) ?? false)
        }
        return eventLoop.submit { [connection] in
            connection.value.connection.map(body) ?? false
        }
    }

    /// Queues a message on one of this session's streams (chat fan-out). True when it was
    /// sent or queued; false when the stream is not open or the session is too slow.
    public func deliver(stream: UInt32, message: [UInt8]) -> EventLoopFuture<Bool> {
        withConnection { $0.deliver(stream: stream, message: message) }
    }

    /// Ends the session with CLOSE(code) and closes TCP.
    @discardableResult
    public func close(code: CloseCode, reason: String) -> EventLoopFuture<Bool> {
        withConnection { $0.closeSession(code: code, reason: reason) }
    }

    /// Closes one stream of the session; false when it was not open.
    public func closeStream(_ stream: UInt32, code: CloseCode, reason: String) -> EventLoopFuture<Bool> {
        withConnection { $0.closeStream(stream, code: code, reason: reason) }
    }
}

/// Breaks the cycle connection -> handle -> connection.
final class WeakConnection {
    weak var connection: ConnectionHandler?
    init(_ connection: ConnectionHandler) { self.connection = connection }
}
