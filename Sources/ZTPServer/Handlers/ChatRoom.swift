import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// The sessions with the chat stream open, grouped by event loop, so that a batch of messages
/// costs one task per loop that has recipients, not one per recipient or per message.
///
/// Members join and leave through the chat handler's open and close hooks, which run on the
/// member's own loop; each loop's members are read and changed only on that loop, so a
/// delivery takes no lock. The lock guards the list of loops alone, which is at most the
/// event loop group's size.
final class ChatRoom: Sendable {
    /// Who a message goes to, besides never its sending session.
    enum Audience: Sendable {
        /// Every member.
        case everyone
        /// These sessions (one client id's), where they are members.
        case sessions([SessionHandle])
    }

    private let loops = NIOLockedValueBox<[ObjectIdentifier: LoopMembers]>([:])

    /// Adds a session whose chat stream `stream` opened; on the session's loop.
    func join(_ handle: SessionHandle, stream: UInt32) {
        members(on: handle.eventLoop).join(handle, stream: stream)
    }

    /// Removes a session whose chat stream ended; on the session's loop.
    func leave(_ handle: SessionHandle) {
        members(on: handle.eventLoop).leave(handle)
    }

    /// Members on every loop.
    var count: Int {
        loops.withLockedValue { $0.values.reduce(0) { $0 + $1.count } }
    }

    /// About how many deliveries a message to `audience` makes, to size a sender's batch.
    func deliveries(to audience: Audience) -> Int {
        switch audience {
        case .everyone: count
        case .sessions(let handles): handles.count
        }
    }

    /// Queues each message of `batch` on its audience but `sender`, in order: inline for the
    /// members on `senderLoop`, and one task for each other loop with any. The future, on
    /// `senderLoop`, says how many sessions took each message. `onTask` is told of each task.
    func deliver(_ batch: [(message: [UInt8], audience: Audience)], from sender: String, senderLoop: any EventLoop,
                 onTask: () -> Void) -> EventLoopFuture<[Int]> {
        let rooms = loops.withLockedValue { Array($0.values) }
        var work: [ObjectIdentifier: [ChatItem]] = [:]
        for (index, post) in batch.enumerated() {
            switch post.audience {
            case .everyone:
                for room in rooms where room.count > 0 {
                    work[ObjectIdentifier(room.loop), default: []].append(ChatItem(index: index, message: post.message, only: nil))
                }
            case .sessions(let handles):
                var ids: [ObjectIdentifier: Set<String>] = [:]
                for handle in handles where handle.id != sender {
                    ids[ObjectIdentifier(handle.eventLoop), default: []].insert(handle.id)
                }
                for (loop, only) in ids {
                    work[loop, default: []].append(ChatItem(index: index, message: post.message, only: only))
                }
            }
        }
        var counts = [Int](repeating: 0, count: batch.count)
        var tasks: [EventLoopFuture<(indices: [Int], counts: [Int])>] = []
        for room in rooms {
            guard let items = work[ObjectIdentifier(room.loop)] else { continue }
            if room.loop === senderLoop {
                for (item, taken) in zip(items, room.deliver(items, excluding: sender)) { counts[item.index] += taken }
            } else {
                onTask()
                let indices = items.map(\.index)
                tasks.append(room.loop.submit { (indices, room.deliver(items, excluding: sender)) })
            }
        }
        guard !tasks.isEmpty else { return senderLoop.makeSucceededFuture(counts) }
        return EventLoopFuture.whenAllComplete(tasks, on: senderLoop).map { [counts] results in
            var total = counts
            for case .success(let share) in results {
                for (index, taken) in zip(share.indices, share.counts) { total[index] += taken }
            }
            return total
        }
    }

    private func members(on loop: any EventLoop) -> LoopMembers {
        loops.withLockedValue { loops in
            if let members = loops[ObjectIdentifier(loop)] { return members }
            let members = LoopMembers(loop: loop)
            loops[ObjectIdentifier(loop)] = members
            return members
        }
    }
}

/// One message of a batch, as one loop's task sees it.
private struct ChatItem: Sendable {
    /// Its place in the batch.
    let index: Int
    let message: [UInt8]
    /// The session ids it is for on this loop; nil for every member.
    let only: Set<String>?
}

/// The chat members of one event loop.
private final class LoopMembers: Sendable {
    private struct Member {
        let handle: SessionHandle
        let stream: UInt32
    }

    let loop: any EventLoop
    private let members: NIOLoopBoundBox<[String: Member]>
    /// The members' number, read from other loops to skip a loop without members.
    private let size = Atomic<Int>(0)

    init(loop: any EventLoop) {
        self.loop = loop
        members = NIOLoopBoundBox([:], eventLoop: loop)
    }

    var count: Int { size.load(ordering: .relaxed) }

    func join(_ handle: SessionHandle, stream: UInt32) {
        if members.value.updateValue(Member(handle: handle, stream: stream), forKey: handle.id) == nil {
            size.add(1, ordering: .relaxed)
        }
    }

    func leave(_ handle: SessionHandle) {
        if members.value.removeValue(forKey: handle.id) != nil {
            size.subtract(1, ordering: .relaxed)
        }
    }

    /// On this loop: queues each item on its members but `sender`, a member's messages in
    /// order and flushed once, and says how many took each item. A member whose queue fills
    /// has its stream closed by `deliver` and leaves while this runs; the walk is over the
    /// members as they were.
    func deliver(_ items: [ChatItem], excluding sender: String) -> [Int] {
        var counts = [Int](repeating: 0, count: items.count)
        let current = members.value
        if items.allSatisfy({ $0.only == nil }) {
            let messages = items.map(\.message)
            for (id, member) in current where id != sender {
                for position in 0..<Self.deliver(messages, to: member) { counts[position] += 1 }
            }
            return counts
        }
        // A member gets its own messages of the batch; private ones alone visit only their
        // recipients, not the whole loop.
        let visit = items.contains { $0.only == nil }
            ? Set(current.keys)
            : items.reduce(into: Set<String>()) { $0.formUnion($1.only ?? []) }
        var messages: [[UInt8]] = []
        var positions: [Int] = []
        for id in visit where id != sender {
            guard let member = current[id] else { continue }
            messages.removeAll(keepingCapacity: true)
            positions.removeAll(keepingCapacity: true)
            for (position, item) in items.enumerated() where item.only?.contains(id) ?? true {
                messages.append(item.message)
                positions.append(position)
            }
            guard !messages.isEmpty else { continue }
            for position in positions.prefix(Self.deliver(messages, to: member)) { counts[position] += 1 }
        }
        return counts
    }

    /// How many of `messages`, from the first, the member's session took.
    private static func deliver(_ messages: [[UInt8]], to member: Member) -> Int {
        var taken = 0
        member.handle.onLoop { taken = $0.deliver(stream: member.stream, messages: messages) }
        return taken
    }
}
