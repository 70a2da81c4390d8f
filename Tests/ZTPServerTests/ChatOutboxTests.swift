import Foundation
import NIOEmbedded
import Testing
import ZTPTestSupport
@testable import ZTPCore
@testable import ZTPServer

/// A sender's chat posts leave in batches: at most one in flight, each within the deliveries
/// bound (but at least one post), each for one room, with audiences looked up as it starts.
@Suite("Chat posts in batches")
struct ChatOutboxTests {
    /// Handles of `count` sessions (not members of any room: only their number matters here).
    static func sessions(_ count: Int) -> [SessionHandle] {
        let services = ServerServices(configuration: ServerConfiguration(),
                                      identity: Ed25519.KeyPair(seed: SecretBytes(SecureRandom.bytes(32))),
                                      tokenSecret: SecretBytes(SecureRandom.bytes(32)))
        let loop = EmbeddedEventLoop()
        return (0..<count).map { index in
            let info = SessionInfo(sessionID: "s\(index)", clientID: "c\(index)", role: "user", tokenID: "t\(index)",
                                   tokenExpiresAt: 0, parameters: SessionParameters())
            return SessionHandle(info: info, remoteAddress: "127.0.0.1:1", connectedAt: Date(), eventLoop: loop,
                                 connection: ConnectionHandler(services: services))
        }
    }

    /// A post to `recipients` sessions whose `completed` records its label.
    static func post(_ label: String, to recipients: [SessionHandle], in room: ChatRoom,
                     lookups: LockedBox<[String]> = LockedBox([])) -> ChatPost {
        ChatPost(room: room, message: Array(label.utf8), audience: {
            lookups.withLock { $0.append(label) }
            return .sessions(recipients)
        }, completed: { _ in })
    }

    static func labels(_ batch: [(post: ChatPost, audience: ChatRoom.Audience)]?) -> [String] {
        (batch ?? []).map { String(decoding: $0.post.message, as: UTF8.self) }
    }

    @Test("posts of one read go together up to the deliveries bound; the rest wait until the batch is done")
    func batchesWithinBound() {
        let room = ChatRoom()
        let ten = Self.sessions(10)
        var outbox = ChatOutbox()
        for label in ["a", "b", "c", "d", "e"] {
            let waits = outbox.add(Self.post(label, to: ten, in: room))
            #expect(!waits)
        }
        let first = Self.labels(outbox.nextBatch(maxDeliveries: 25))
        #expect(first == ["a", "b"])
        #expect(outbox.inFlight)
        #expect(outbox.isHolding, "c, d and e wait behind the batch: the sender's input pauses")
        let during = outbox.nextBatch(maxDeliveries: 25)
        #expect(during == nil, "one batch in flight")
        let waits = outbox.add(Self.post("f", to: ten, in: room))
        #expect(waits, "a post during a batch waits")
        outbox.finished()
        #expect(!outbox.isHolding)
        let second = Self.labels(outbox.nextBatch(maxDeliveries: 25))
        #expect(second == ["c", "d"])
        outbox.finished()
        let third = Self.labels(outbox.nextBatch(maxDeliveries: 25))
        #expect(third == ["e", "f"])
        outbox.finished()
        let none = outbox.nextBatch(maxDeliveries: 25)
        #expect(none == nil)
        #expect(outbox.isEmpty)
    }

    @Test("a post over the bound goes alone rather than never")
    func largePostAlone() {
        let room = ChatRoom()
        var outbox = ChatOutbox()
        _ = outbox.add(Self.post("big", to: Self.sessions(40), in: room))
        _ = outbox.add(Self.post("small", to: Self.sessions(1), in: room))
        let first = Self.labels(outbox.nextBatch(maxDeliveries: 25))
        #expect(first == ["big"])
        outbox.finished()
        let second = Self.labels(outbox.nextBatch(maxDeliveries: 25))
        #expect(second == ["small"])
    }

    @Test("a batch holds one room's posts")
    func oneRoomPerBatch() {
        let one = ChatRoom(), other = ChatRoom()
        let session = Self.sessions(1)
        var outbox = ChatOutbox()
        _ = outbox.add(Self.post("a", to: session, in: one))
        _ = outbox.add(Self.post("b", to: session, in: other))
        _ = outbox.add(Self.post("c", to: session, in: one))
        var batches: [[String]] = []
        while let batch = outbox.nextBatch(maxDeliveries: 100) {
            batches.append(Self.labels(batch))
            outbox.finished()
        }
        #expect(batches == [["a"], ["b"], ["c"]])
    }

    @Test("recipients are looked up when the batch starts, not when the message arrived")
    func audienceAtStart() {
        let room = ChatRoom()
        let lookups = LockedBox<[String]>([])
        var outbox = ChatOutbox()
        _ = outbox.add(Self.post("a", to: Self.sessions(1), in: room, lookups: lookups))
        #expect(lookups.withLock { $0 }.isEmpty)
        _ = outbox.nextBatch(maxDeliveries: 100)
        #expect(lookups.withLock { $0 } == ["a"])
    }
}
