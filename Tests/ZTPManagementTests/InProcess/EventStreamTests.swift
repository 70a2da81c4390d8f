import Foundation
import OpenAPIRuntime
import Testing
import ZTPServer
@testable import ZTPManagement

/// The `GET /v1/events` body on its own: encoding, heartbeats, and how a subscriber that does
/// not read is let go without the publisher ever waiting.
@Suite("Event stream body")
struct EventStreamTests {
    @Test("events are encoded as id/event/data lines; an idle stream carries heartbeat comments")
    func encodingAndHeartbeat() async throws {
        let hub = EventHub()
        hub.publish(.sessionOpened, sessionID: "ab", clientID: "alice", role: "user", remoteAddress: "127.0.0.1:5")
        let subscription = try hub.subscribe(after: nil).get()
        let body = EventStream.body(for: subscription, heartbeatInterval: .milliseconds(50))
        var iterator = body.makeAsyncIterator()
        let first = String(decoding: try #require(try await iterator.next()), as: UTF8.self)
        #expect(first.hasPrefix("id: 1\nevent: session.opened\ndata: {"))
        #expect(first.hasSuffix("}\n\n"))
        #expect(first.contains(#""client_id":"alice""#) && first.contains(#""type":"session.opened""#))
        let second = String(decoding: try #require(try await iterator.next()), as: UTF8.self)
        #expect(second == EventStream.heartbeat)
        #expect(hub.subscriberCount == 1)
        subscription.cancel()
    }

    @Test("a subscriber that stops reading is dropped by the hub; its body ends after what was queued")
    func slowSubscriber() async throws {
        let hub = EventHub(limits: .init(ringCapacity: 64, maxSubscribers: 2, subscriberQueue: 4))
        let subscription = try hub.subscribe(after: nil).get()
        let body = EventStream.body(for: subscription, heartbeatInterval: .seconds(60))
        var iterator = body.makeAsyncIterator()
        // Nothing is read while 20 events are published: publishing never waits.
        for index in 0..<20 { hub.publish(.tokenIssued, clientID: "c\(index)") }
        #expect(subscription.wasDropped)
        var received = 0
        while try await iterator.next() != nil { received += 1 }
        #expect(received <= 4 + 2, "at most the queue (and one event in hand) reaches a dropped subscriber")
        let deadline = ContinuousClock.now + .seconds(5)
        while hub.subscriberCount != 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        #expect(hub.subscriberCount == 0, "the dropped subscriber's place is given back")
    }

    @Test("Last-Event-ID older than the ring starts with an events.lost marker")
    func lostEvents() async throws {
        let hub = EventHub(limits: .init(ringCapacity: 2, maxSubscribers: 2, subscriberQueue: 8))
        for index in 0..<5 { hub.publish(.tokenIssued, clientID: "c\(index)") }
        let subscription = try hub.subscribe(after: 1).get()
        var iterator = EventStream.body(for: subscription).makeAsyncIterator()
        let first = String(decoding: try #require(try await iterator.next()), as: UTF8.self)
        #expect(first.hasPrefix("event: events.lost\n"))
        let next = String(decoding: try #require(try await iterator.next()), as: UTF8.self)
        #expect(next.hasPrefix("id: 4\n"))
        subscription.cancel()
    }
}
