import NIOCore
import ZTPCore

/// Stream 1, chat (ZTP-1 section 8): `text` goes to every other session with stream 1 open
/// as `alice: text`; `@bob text` goes to bob's sessions as `alice (private): text`; the
/// sender gets `ok: delivered to N`.
///
/// Each recipient queues on its own event loop, bounded by its session's queue limit, so one
/// slow client never delays the others; past the bound that recipient's stream 1 is closed
/// with SLOW_CONSUMER and not counted.
public struct ChatHandler: StreamHandler {
    public static let streamID: UInt32 = 1
    public let kind = "chat"

    public init() {}

    public func receive(_ message: [UInt8], on stream: StreamContext) {
        guard let text = String(validating: message, as: UTF8.self) else {
            return stream.reply("error: invalid UTF-8")
        }
        let line: String
        let recipients: [SessionHandle]
        if text.hasPrefix("@") {
            let body = text.dropFirst()
            guard let space = body.firstIndex(of: " "), space != body.startIndex,
                  case let content = body[body.index(after: space)...], !content.isEmpty else {
                return stream.reply("error: usage: @client text")
            }
            let target = String(body[..<space])
            line = "\(stream.clientID) (private): \(content)"
            // "A private message never goes back to the sending session itself."
            recipients = stream.services.registry.sessions(clientID: target).filter { $0.id != stream.sessionID }
        } else {
            line = "\(stream.clientID): \(text)"
            recipients = stream.services.registry.allSessions().filter { $0.id != stream.sessionID }
        }
        let bytes = Array(line.utf8)
        guard bytes.count <= FrameType.maxDataPayload else {
            return stream.reply("error: message too long")
        }
        let policy = stream.services.policy
        let deliveries = recipients.filter { policy.may($0.role, use: ChatHandler.streamID) }
            .map { $0.deliver(stream: ChatHandler.streamID, message: bytes) }
        EventLoopFuture.whenAllComplete(deliveries, on: stream.eventLoop).whenSuccess { results in
            let delivered = results.reduce(0) { count, result in
                if case .success(true) = result { return count + 1 }
                return count
            }
            stream.reply("ok: delivered to \(delivered)")
        }
    }
}
