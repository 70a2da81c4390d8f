import NIOCore
import ZTPCore

/// Stream 1, chat (ZTP-1 section 8): `text` goes to every other session with stream 1 open
/// as `alice: text`; `@bob text` goes to bob's sessions as `alice (private): text`; the
/// sender gets `ok: delivered to N`.
///
/// The handler keeps the sessions with stream 1 open in a `ChatRoom`, by event loop, through
/// its open and close hooks. A sender's messages go out in batches, one in flight at a time,
/// as one task per loop with recipients (see `ChatOutbox`), so one sender cannot grow the other
/// loops' task queues. Each recipient queues on its own loop, bounded by its session's queue
/// limit, so one slow client never delays the others; past the bound that recipient's stream 1
/// is closed with SLOW_CONSUMER and not counted.
public struct ChatHandler: StreamHandler {
    public static let streamID: UInt32 = 1
    public let kind = "chat"
    let room = ChatRoom()

    public init() {}

    public func opened(_ stream: StreamContext) {
        room.join(stream.handle, stream: stream.streamID)
    }

    public func closed(_ stream: StreamContext, code: CloseCode?) {
        room.leave(stream.handle)
    }

    public func receive(_ message: ByteBuffer, on stream: StreamContext) {
        guard let text = String(validating: message.readableBytesView, as: UTF8.self) else {
            return stream.reply("error: invalid UTF-8")
        }
        let line: String
        // Looked up when the fan-out starts, which may be after this sender's earlier ones.
        let audience: @Sendable () -> ChatRoom.Audience
        if text.hasPrefix("@") {
            let body = text.dropFirst()
            guard let space = body.firstIndex(of: " "), space != body.startIndex,
                  case let content = body[body.index(after: space)...], !content.isEmpty else {
                return stream.reply("error: usage: @client text")
            }
            let target = String(body[..<space])
            line = "\(stream.clientID) (private): \(content)"
            // "A private message never goes back to the sending session itself": the room
            // never delivers to the sender.
            let registry = stream.services.registry
            audience = { .sessions(registry.sessions(clientID: target)) }
        } else {
            line = "\(stream.clientID): \(text)"
            audience = { .everyone }
        }
        let bytes = Array(line.utf8)
        guard bytes.count <= FrameType.maxDataPayload else {
            return stream.reply("error: message too long")
        }
        stream.services.metrics.chatMessage()
        stream.announceChatMessage(bytes: message.readableBytes)
        stream.post(bytes, to: audience, in: room) { delivered in
            stream.reply("ok: delivered to \(delivered)")
        }
    }
}
