import Foundation
import Metrics
import NIOConcurrencyHelpers
import NIOCore

/// Fans server events out to live subscribers (`GET /v1/events`) and keeps the last ones for
/// a reconnecting subscriber to replay.
///
/// Publishers are event loops and the API's threads: `publish` takes one lock for a few
/// appends and never waits for a subscriber. Each subscriber has a bounded queue; one that
/// falls `subscriberQueue` events behind is dropped (its sequence ends, `wasDropped` is true)
/// rather than slowing the publisher or holding more memory. At most `maxSubscribers`
/// subscribe at once; more are refused. Everything the hub holds is bounded by these limits.
public final class EventHub: Sendable {
    public struct Limits: Sendable {
        /// Events kept for replay.
        public var ringCapacity: Int
        /// Subscribers at once.
        public var maxSubscribers: Int
        /// Live events a subscriber may have waiting before it is dropped.
        public var subscriberQueue: Int

        public init(ringCapacity: Int = 1024, maxSubscribers: Int = 16, subscriberQueue: Int = 256) {
            precondition(ringCapacity >= 1 && maxSubscribers >= 0 && subscriberQueue >= 1)
            self.ringCapacity = ringCapacity
            self.maxSubscribers = maxSubscribers
            self.subscriberQueue = subscriberQueue
        }
    }

    public enum Refusal: Error, Equatable, Sendable {
        /// `maxSubscribers` are subscribed already.
        case tooManySubscribers
    }

    public let limits: Limits
    private let now: @Sendable () -> Date
    private let state = NIOLockedValueBox(State())

    private struct Subscriber {
        let continuation: AsyncStream<ServerEvent>.Continuation
        let dropped: NIOLockedValueBox<Bool>
    }

    private struct State {
        var nextID: UInt64 = 1
        var ring = CircularBuffer<ServerEvent>()
        var subscribers: [UInt64: Subscriber] = [:]
        var nextSubscriber: UInt64 = 1
    }

    private let published = Counter(label: "ztp_events_published_total")
    private let subscribersGauge = Gauge(label: "ztp_events_subscribers")
    private let dropped = Counter(label: "ztp_events_subscribers_dropped_total")
    private let refused = Counter(label: "ztp_events_subscribers_refused_total")

    public init(limits: Limits = Limits(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.limits = limits
        self.now = now
        state.withLockedValue { $0.ring.reserveCapacity(limits.ringCapacity) }
    }

    /// Subscribers now.
    public var subscriberCount: Int { state.withLockedValue { $0.subscribers.count } }

    /// The id the last published event got (0 before any).
    public var lastEventID: UInt64 { state.withLockedValue { $0.nextID - 1 } }

    /// The events still held for replay, oldest first.
    public var recentEvents: [ServerEvent] { state.withLockedValue { Array($0.ring) } }

    /// Gives the event the next id and the current time, keeps it for replay and queues it for
    /// every subscriber. Never blocks on a subscriber: one whose queue is full is dropped.
    @discardableResult
    public func publish(_ type: ServerEvent.Kind, sessionID: String? = nil, clientID: String? = nil, role: String? = nil,
                        remoteAddress: String? = nil, streamID: UInt32? = nil, streamKind: String? = nil,
                        code: String? = nil, reason: String? = nil, jti: String? = nil, count: Int? = nil,
                        detail: String? = nil) -> ServerEvent {
        let time = now()
        var finished: [Subscriber] = []
        // Ids are given and events queued under one lock, so every subscriber sees ids in order.
        let event = state.withLockedValue { state in
            let event = ServerEvent(id: state.nextID, time: time, type: type, sessionID: sessionID, clientID: clientID,
                                    role: role, remoteAddress: remoteAddress, streamID: streamID, streamKind: streamKind,
                                    code: code, reason: reason, jti: jti, count: count, detail: detail)
            state.nextID += 1
            if state.ring.count >= limits.ringCapacity { state.ring.removeFirst() }
            state.ring.append(event)
            for (key, subscriber) in state.subscribers {
                switch subscriber.continuation.yield(event) {
                case .dropped:
                    subscriber.dropped.withLockedValue { $0 = true }
                    state.subscribers[key] = nil
                    finished.append(subscriber)
                case .terminated:
                    // Gone (its `unsubscribe` is on its way): the place is free now.
                    state.subscribers[key] = nil
                case .enqueued:
                    break
                @unknown default:
                    break
                }
            }
            return event
        }
        published.increment()
        if !finished.isEmpty {
            // Outside the lock: finishing runs the stream's termination handler, which takes it.
            for subscriber in finished { subscriber.continuation.finish() }
            dropped.increment(by: finished.count)
            subscribersGauge.record(subscriberCount)
        }
        return event
    }

    /// Subscribes: the sequence yields the held events with ids after `lastEventID` (all held
    /// events when nil), then live events, until it is cancelled or dropped.
    ///
    /// `lastEventID` past the last id given (a previous process's id) replays everything held
    /// and reports events as lost, as does one older than the oldest event held.
    public func subscribe(after lastEventID: UInt64? = nil) -> Result<EventSubscription, Refusal> {
        let wasDropped = NIOLockedValueBox(false)
        let result: Result<EventSubscription, Refusal> = state.withLockedValue { state in
            guard state.subscribers.count < limits.maxSubscribers else { return .failure(.tooManySubscribers) }
            let replay: [ServerEvent]
            var lost = false
            if let lastEventID {
                if lastEventID >= state.nextID {
                    replay = Array(state.ring)
                    lost = true
                } else {
                    replay = state.ring.filter { $0.id > lastEventID }
                    // The event right after `lastEventID` is no longer held.
                    let oldest = state.ring.first?.id ?? state.nextID
                    lost = oldest > lastEventID + 1
                }
            } else {
                replay = Array(state.ring)
            }
            let key = state.nextSubscriber
            state.nextSubscriber += 1
            // Room for the replay on top of the live queue, so a full replay never drops a
            // subscriber on its first step.
            let (stream, continuation) = AsyncStream<ServerEvent>.makeStream(
                bufferingPolicy: .bufferingOldest(limits.subscriberQueue + replay.count))
            for event in replay { continuation.yield(event) }
            state.subscribers[key] = Subscriber(continuation: continuation, dropped: wasDropped)
            // Never synchronously: a task being cancelled runs this while it holds its own status
            // lock, which `publish` (holding ours) needs to resume that task's `yield`; taking our
            // lock here would deadlock the two (seen with a browser leaving the events view).
            continuation.onTermination = { [weak self] _ in
                guard let hub = self else { return }
                DispatchQueue.global().async { hub.unsubscribe(key) }
            }
            return .success(EventSubscription(stream: stream, continuation: continuation, replayed: replay.count,
                                              eventsLost: lost, droppedBox: wasDropped))
        }
        switch result {
        case .success: subscribersGauge.record(subscriberCount)
        case .failure: refused.increment()
        }
        return result
    }

    private func unsubscribe(_ key: UInt64) {
        let removed = state.withLockedValue { $0.subscribers.removeValue(forKey: key) != nil }
        if removed { subscribersGauge.record(subscriberCount) }
    }
}

/// One subscriber's events, as an async sequence. Cancelling the iterating task or calling
/// `cancel()` frees the subscriber's slot; a subscription that is never iterated must be
/// cancelled, since the hub holds its queue until then.
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = ServerEvent

    private let stream: AsyncStream<ServerEvent>
    private let continuation: AsyncStream<ServerEvent>.Continuation
    private let droppedBox: NIOLockedValueBox<Bool>
    /// Held events queued ahead of live ones.
    public let replayed: Int
    /// True when events after the `lastEventID` asked for were no longer held (or the id was
    /// not this process's): the subscriber should reload whatever state it derives from events.
    public let eventsLost: Bool

    init(stream: AsyncStream<ServerEvent>, continuation: AsyncStream<ServerEvent>.Continuation, replayed: Int,
         eventsLost: Bool, droppedBox: NIOLockedValueBox<Bool>) {
        self.stream = stream
        self.continuation = continuation
        self.replayed = replayed
        self.eventsLost = eventsLost
        self.droppedBox = droppedBox
    }

    /// True once the hub dropped this subscriber for falling behind (its sequence then ends).
    public var wasDropped: Bool { droppedBox.withLockedValue { $0 } }

    /// Ends the sequence (after the events already queued) and frees the slot.
    public func cancel() {
        continuation.finish()
    }

    public func makeAsyncIterator() -> AsyncStream<ServerEvent>.Iterator {
        stream.makeAsyncIterator()
    }
}
