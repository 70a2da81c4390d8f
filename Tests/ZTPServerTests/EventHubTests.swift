import Foundation
import Testing
@testable import ZTPServer
import ZTPTestSupport

@Suite("Event hub")
struct EventHubTests {
    /// Takes the next `count` events of a subscription, or fewer if it ends first.
    static func take(_ count: Int, from subscription: EventSubscription) async -> [ServerEvent] {
        var taken: [ServerEvent] = []
        guard count > 0 else { return taken }
        for await event in subscription {
            taken.append(event)
            if taken.count == count { break }
        }
        return taken
    }

    static func subscribe(_ hub: EventHub, after id: UInt64? = nil) throws -> EventSubscription {
        try hub.subscribe(after: id).get()
    }

    @Test("ids count up from 1 and each event gets the time it was published at")
    func monotonicIDs() {
        let hub = EventHub(now: { Date(timeIntervalSince1970: 1_000) })
        let events = (0..<5).map { hub.publish(.sessionOpened, sessionID: "s\($0)") }
        #expect(events.map(\.id) == [1, 2, 3, 4, 5])
        #expect(events.allSatisfy { $0.time == Date(timeIntervalSince1970: 1_000) })
        #expect(hub.lastEventID == 5)
    }

    @Test("a subscriber gets the held events after Last-Event-ID, then live ones, in order")
    func replayThenLive() async throws {
        let hub = EventHub()
        for index in 1...5 { hub.publish(.streamOpened, streamID: UInt32(index)) }
        let subscription = try Self.subscribe(hub, after: 3)
        #expect(subscription.replayed == 2)
        #expect(!subscription.eventsLost)
        hub.publish(.streamClosed, streamID: 5, code: "NORMAL")
        let events = await Self.take(3, from: subscription)
        #expect(events.map(\.id) == [4, 5, 6])
        #expect(events.last?.type == .streamClosed && events.last?.code == "NORMAL")
        subscription.cancel()
    }

    @Test("no Last-Event-ID replays every held event; the last id given replays none")
    func replayBounds() throws {
        let hub = EventHub()
        for _ in 1...3 { hub.publish(.tokenIssued) }
        let all = try Self.subscribe(hub)
        let none = try Self.subscribe(hub, after: 3)
        #expect(all.replayed == 3 && !all.eventsLost)
        #expect(none.replayed == 0 && !none.eventsLost)
        all.cancel()
        none.cancel()
    }

    @Test("an id that fell off the ring reports lost events and replays what is held")
    func lostWhenOffTheRing() async throws {
        let hub = EventHub(limits: .init(ringCapacity: 4))
        for _ in 1...10 { hub.publish(.authFailed, count: 1) }
        #expect(hub.recentEvents.map(\.id) == [7, 8, 9, 10])
        let behind = try Self.subscribe(hub, after: 5)
        #expect(behind.eventsLost)
        #expect(await Self.take(4, from: behind).map(\.id) == [7, 8, 9, 10])
        // The one right before the oldest held: nothing was lost.
        let justInTime = try Self.subscribe(hub, after: 6)
        #expect(!justInTime.eventsLost && justInTime.replayed == 4)
        // An id from a previous process (past the last given): everything held, and lost.
        let stranger = try Self.subscribe(hub, after: 99)
        #expect(stranger.eventsLost && stranger.replayed == 4)
        for subscription in [behind, justInTime, stranger] { subscription.cancel() }
    }

    @Test("subscribers past the cap are refused; ending a subscription frees its slot")
    func capAndRelease() async throws {
        let hub = EventHub(limits: .init(maxSubscribers: 2))
        let first = try Self.subscribe(hub)
        let second = try Self.subscribe(hub)
        #expect(await Self.settles(hub, at: 2))
        guard case .failure(.tooManySubscribers) = hub.subscribe(after: nil) else {
            Issue.record("a third subscriber was accepted")
            return
        }
        first.cancel()
        #expect(await Self.settles(hub, at: 1))
        let third = try Self.subscribe(hub)
        #expect(await Self.settles(hub, at: 2))

        // A task iterating a subscription frees the slot when it is cancelled.
        let iterating = Task { await Self.take(1_000, from: second) }
        iterating.cancel()
        _ = await iterating.value
        #expect(await Self.settles(hub, at: 1))
        third.cancel()
        #expect(await Self.settles(hub, at: 0))
    }

    @Test("a subscriber that falls behind is dropped; the others keep receiving and publish never waits")
    func slowSubscriberDropped() async throws {
        let hub = EventHub(limits: .init(ringCapacity: 16, subscriberQueue: 8))
        let slow = try Self.subscribe(hub)
        let fast = try Self.subscribe(hub)
        var fastEvents = fast.makeAsyncIterator()
        var received: [UInt64] = []
        // Nobody reads `slow`: with a queue of 8, the 9th event drops it. Publishing goes on
        // regardless (were it to wait for `slow`, this loop would never finish), and the
        // subscriber that keeps up gets every event.
        for index in 1...100 {
            hub.publish(.streamOpened, streamID: UInt32(index))
            if let event = await fastEvents.next() { received.append(event.id) }
        }
        #expect(slow.wasDropped)
        #expect(!fast.wasDropped)
        #expect(await Self.settles(hub, at: 1))
        #expect(received == Array(1...100))
        // The dropped subscriber's sequence ends after what it had queued.
        var queued: [UInt64] = []
        for await event in slow { queued.append(event.id) }
        #expect(queued == Array(1...8))
        fast.cancel()
    }

    @Test("publishers on several threads at once: every subscriber sees each id once, in increasing order")
    func concurrentPublishers() async throws {
        let hub = EventHub(limits: .init(ringCapacity: 64, subscriberQueue: 1_000))
        let subscriptions = try (0..<3).map { _ in try Self.subscribe(hub) }
        let readers = subscriptions.map { subscription in Task { await Self.take(800, from: subscription) } }
        // Subscribers come and go meanwhile; their slots are freed and the others are not disturbed.
        let churn = Task.detached {
            for _ in 0..<200 {
                if case .success(let passing) = hub.subscribe(after: nil) { passing.cancel() }
            }
        }
        await withTaskGroup(of: Void.self) { group in
            for publisher in 0..<4 {
                group.addTask {
                    for index in 0..<200 { hub.publish(.streamOpened, detail: "\(publisher).\(index)") }
                }
            }
        }
        await churn.value
        for reader in readers {
            let ids = await reader.value.map(\.id)
            #expect(ids == Array(1...800))
        }
        #expect(await Self.settles(hub, at: 3))
        for subscription in subscriptions { subscription.cancel() }
        #expect(await Self.settles(hub, at: 0))
    }

    /// Subscriber counts settle a moment after a cancellation: the hub unsubscribes off the
    /// cancelling thread (see `EventHub.subscribe`).
    static func settles(_ hub: EventHub, at count: Int) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while hub.subscriberCount != count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    @Test("cancelling subscribers' tasks while events are published never deadlocks", .timeLimit(.minutes(1)))
    func cancellationRacesPublish() async throws {
        let hub = EventHub(limits: .init(ringCapacity: 64, maxSubscribers: 64, subscriberQueue: 100_000))
        // Publishing flat out from a thread of its own: as a task it would hold one of the
        // cooperative pool's threads for as long as it ran, and outlive the test if the test
        // ended early (a time limit, a thrown error), starving every other suite.
        let stop = LockedBox(false)
        let publisher = Thread {
            while !stop.withLock({ $0 }) { hub.publish(.streamOpened) }
        }
        publisher.start()
        defer { stop.withLock { $0 = true } }
        // A task iterating a subscription is cancelled: its termination handler runs on the
        // cancelling thread, holding that task's status lock, while `publish` yields to it.
        for _ in 0..<300 {
            let subscription = try Self.subscribe(hub)
            let reader = Task { await Self.take(1_000_000, from: subscription) }
            try await Task.sleep(for: .microseconds(200))
            reader.cancel()
            _ = await reader.value
        }
        stop.withLock { $0 = true }
        #expect(await Self.settles(hub, at: 0))
    }
}
