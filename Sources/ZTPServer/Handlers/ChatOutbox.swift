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
    /// Posts from `head` on wait. An array, not a ring buffer: an empty array allocates
    /// nothing, and every session has an outbox (a ring buffer's first 16 places cost an idle
    /// session about 0.8 KiB).
    private var held: [ChatPost] = []
    private var head = 0
    private(set) var inFlight = false

    /// Posts wait behind a batch in flight (the sender's input should pause).
    var isHolding: Bool { !isEmpty && inFlight }

    var isEmpty: Bool { head == held.count }

    /// Queues a post; true when it waits behind a batch in flight.
    mutating func add(_ post: ChatPost) -> Bool {
        held.append(post)
        return inFlight
    }

    /// The next batch, at most `maxDeliveries` deliveries (at least one post), all for one
    /// room, with each post's audience as it is now; nil while a batch is in flight or when
    /// nothing waits. The batch is in flight until `finished`.
    mutating func nextBatch(maxDeliveries: Int) -> [(post: ChatPost, audience: ChatRoom.Audience)]? {
        guard !inFlight, !isEmpty else { return nil }
        let room = held[head].room
        var batch: [(post: ChatPost, audience: ChatRoom.Audience)] = []
        var deliveries = 0
        while head < held.count, held[head].room === room {
            let audience = held[head].audience()
            let size = room.deliveries(to: audience)
            if !batch.isEmpty, deliveries + size > maxDeliveries { break }
            batch.append((held[head], audience))
            head += 1
            deliveries += size
        }
        // Taken posts are dropped once they are half the array, so each is moved at most once.
        if head == held.count {
            removeAll()
        } else if head * 2 >= held.count {
            held.removeFirst(head)
            head = 0
        }
        inFlight = true
        return batch
    }

    mutating func finished() {
        inFlight = false
    }

    mutating func removeAll() {
        held = []
        head = 0
    }
}
