import NIOCore
import ZTPCore

/// Stream 1, chat (ZTP-1 section 8): `text` goes to every other session with stream 1 open
/// as `alice: text`; `@bob text` goes to bob's sessions as `alice (private): text`; the
/// sender gets `ok: delivered to N`.
///
/// Each recipient queues on its own event loop, bounded by its session's queue limit, so one
/// slow client never delays the others; past the bound that recipient's stream 1 is closed
/// with SLOW_CONSUMER and not counted. A sender's deliveries in flight are bounded too (see
/// `StreamContext.fanOut`), so one sender cannot grow the other event loops' task queues.
public struct ChatHandler: StreamHandler {
    public static let streamID: UInt32 = 1
    public let kind = "chat"

    public init() {}

    public func receive(_ message: [UInt8], on stream: StreamContext) {
        guard let text = String(validating: message, as: UTF8.self) else {
            return stream.reply("error: invalid UTF-8")
        }
        let line: String
        // Looked up when the fan-out starts, which may be after this sender's earlier ones.
        let recipients: @Sendable () -> [SessionHandle]
        if text.hasPrefix("@") {
            let body = text.dropFirst()
            guard let space = body.firstIndex(of: " "), space != body.startIndex,
                  case let content = body[body.index(after: space)...], !content.isEmpty else {
                return stream.reply("error: usage: @client text")
            }
            let target = String(body[..<space])
            line = "\(stream.clientID) (private): \(content)"
            // "A private message never goes back to the sending session itself."
            let registry = stream.services.registry, sender = stream.sessionID
            recipients = { registry.sessions(clientID: target).filter { $0.id != sender } }
        } else {
            line = "\(stream.clientID): \(text)"
            let registry = stream.services.registry, sender = stream.sessionID
            recipients = { registry.allSessions().filter { $0.id != sender } }
        }
        let bytes = Array(line.utf8)
        guard bytes.count <= FrameType.maxDataPayload else {
            return stream.reply("error: message too long")
        }
        let policy = stream.services.policy
        stream.services.metrics.chatMessage()
        stream.announceChatMessage(bytes: message.count)
        stream.fanOut({
            recipients().filter { policy.may($0.role, use: ChatHandler.streamID) }
                .map { $0.deliver(stream: ChatHandler.streamID, message: bytes) }
        }, completed: { results in
            let delivered = results.reduce(0) { count, result in
                if case .success(true) = result { return count + 1 }
                return count
            }
            stream.reply("ok: delivered to \(delivered)")
        })
    }
}
