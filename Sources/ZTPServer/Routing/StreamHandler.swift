import NIOCore
import ZTPCore

/// What serves one stream id. A new kind of stream is one new type registered on the router.
///
/// Calls arrive on the session's event loop, one at a time per session; a handler must not
/// block. Replies go through the `StreamContext`, which may be kept and used later from any
/// thread (the chat handler replies once fan-out has finished).
public protocol StreamHandler: Sendable {
    /// Shown by the management API as the stream's `kind` (`chat`, `control`, ...).
    var kind: String { get }
    /// The client opened the stream.
    func opened(_ stream: StreamContext)
    /// One message (a non-empty DATA payload): a view of the session's receive buffer, valid
    /// only during the call (copy what must outlive it).
    func receive(_ message: ByteBuffer, on stream: StreamContext)
    /// The stream ended, by either side, or with its session. `code` is the stream's CLOSE code,
    /// or the session's when the stream ended with the session; nil when the connection ended
    /// without any CLOSE. Called once per opened stream, so per-stream state can be freed here.
    func closed(_ stream: StreamContext, code: CloseCode?)
}

extension StreamHandler {
    public func opened(_ stream: StreamContext) {}
    public func closed(_ stream: StreamContext, code: CloseCode?) {}
}

/// A handler's view of one stream of one session.
public struct StreamContext: Sendable {
    public let streamID: UInt32
    public let sessionID: String
    public let clientID: String
    public let role: String
    /// The server's shared state, for handlers that reach other sessions.
    public let services: ServerServices
    let handle: SessionHandle

    /// Sends a message on this stream (queued behind the window if needed).
    public func reply(_ message: [UInt8]) {
        _ = handle.deliver(stream: streamID, message: message)
    }

    public func reply(_ text: String) {
        reply(Array(text.utf8))
    }

    /// Ends this stream with CLOSE(code).
    public func close(code: CloseCode, reason: String) {
        _ = handle.closeStream(streamID, code: code, reason: reason)
    }

    /// Queues a message of this session for fan-out to `audience` in `room` (see
    /// `ChatOutbox`); `completed` gets how many sessions took it, on this session's loop.
    /// Nothing runs if the session has ended.
    func post(_ message: [UInt8], to audience: @escaping @Sendable () -> ChatRoom.Audience, in room: ChatRoom,
              completed: @escaping @Sendable (Int) -> Void) {
        handle.onLoop { $0.post(ChatPost(room: room, message: message, audience: audience, completed: completed)) }
    }

    /// Counts a chat message the session sent on this stream, for the `chat.sent` event (at
    /// most one a second per session; never the message's content). On the session's loop.
    func announceChatMessage(bytes: Int) {
        handle.onLoop { $0.chatSent(stream: streamID, bytes: bytes) }
    }

    /// The session's event loop, for handlers that combine futures.
    public var eventLoop: any EventLoop { handle.eventLoop }
}
