import NIOCore
import ZTPCore

/// One stream of a client session: send messages, and read the server's as an async sequence.
///
/// Reading gives flow-control credit back: a stream holds at most two windows of unread
/// messages (one counted as consumed ahead of the reader, one in flight on the credit given),
/// so a reader that stops also stops the server's sending.
public final class ZTPStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    public let id: UInt32
    let channel: ClientChannel
    let inbox: StreamInbox

    init(id: UInt32, channel: ClientChannel, inbox: StreamInbox) {
        self.id = id
        self.channel = channel
        self.inbox = inbox
    }

    /// Sends one message (one DATA frame, at most 65,536 bytes). Returns once the connection
    /// has the message; waits while the stream's window is spent or the session's queue of
    /// unsent bytes is full, so a fast writer cannot queue without bound. A message taken without waiting that then cannot be sent (its stream was
    /// closed meanwhile) makes the next `send` on this stream throw.
    public func send(_ message: [UInt8]) async throws {
        try await channel.send(stream: id, message: message)
    }

    public func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Sends CLOSE(stream, NORMAL); the sequence ends.
    public func close() async {
        await channel.closeStream(id)
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(inbox: inbox, stream: id, channel: channel)
    }

    /// Yields messages in order; reports the ones not yet counted as consumed, so credit flows back.
    public struct Iterator: AsyncIteratorProtocol {
        let inbox: StreamInbox
        let stream: UInt32
        let channel: ClientChannel

        public mutating func next() async throws -> [UInt8]? {
            guard let (message, report) = try await inbox.next() else { return nil }
            // Most messages were counted consumed on the loop already (see StreamInbox).
            if report { channel.consumed(stream: stream, count: message.count) }
            return message
        }
    }
}
