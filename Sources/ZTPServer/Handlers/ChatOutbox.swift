import NIOCore

/// One chat message a session sent, waiting for its fan-out.
struct ChatPost: Sendable {
    let room: ChatRoom
    let message: [UInt8]
    /// Looked up when the post's batch starts, which may be after the sender's earlier posts.
    let audience: @Sendable () -> ChatRoom.Audience
    /// Told, on the sender's loop, how many sessions took the message.
    let completed: @Sendable (Int) -> Void
}

/// A sender's chat posts in order, delivered in batches with at most one batch in flight.
///
/// One batch at a time because NIO runs a loop's queued tasks before its I/O: a sender with
/// several deliveries queued on another loop, refilled as each finishes, keeps that loop from
/// its sockets for as long as the sender has input (seconds, under `ztp-bench run --scenario
/// chat-flood`). Batching keeps the rate: what arrived while one batch was out goes in the
/// next, one task per loop, each recipient's messages written with one flush.
struct ChatOutbox {
    private var held = CircularBuffer<ChatPost>()
    private(set) var inFlight = false

    /// Posts wait behind a batch in flight (the sender's input should pause).
    var isHolding: Bool { !held.isEmpty && inFlight }

    var isEmpty: Bool { held.isEmpty }

    /// Queues a post; true when it waits behind a batch in flight.
    mutating func add(_ post: ChatPost) -> Bool {
        held.append(post)
        return inFlight
    }

    /// The next batch, at most `maxDeliveries` deliveries (at least one post), all for one
    /// room, with each post's audience as it is now; nil while a batch is in flight or when
    /// nothing waits. The batch is in flight until `finished`.
    mutating func nextBatch(maxDeliveries: Int) -> [(post: ChatPost, audience: ChatRoom.Audience)]? {
        guard !inFlight, let room = held.first?.room else { return nil }
        var batch: [(post: ChatPost, audience: ChatRoom.Audience)] = []
        var deliveries = 0
        while let next = held.first, next.room === room {
            let audience = next.audience()
            let size = room.deliveries(to: audience)
            if !batch.isEmpty, deliveries + size > maxDeliveries { break }
            batch.append((held.removeFirst(), audience))
            deliveries += size
        }
        inFlight = true
        return batch
    }

    mutating func finished() {
        inFlight = false
    }

    mutating func removeAll() {
        held.removeAll()
    }
}
