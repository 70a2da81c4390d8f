import Foundation
import NIOCore
import NIOEmbedded
import Testing
import ZTPCore
@testable import ZTPServer

/// The listener's connection handler announces sessions and streams on the event hub: a real
/// `ConnectionHandler` on an embedded channel, with a real client session (the harness of
/// `StreamEndTests`: client alice, role user, streams 2 (control) and 7 (recording) open).
@Suite("Session and stream events")
struct SessionEventsTests {
    typealias Harness = StreamEndTests.Harness

    static func events(_ harness: Harness, _ types: Set<ServerEvent.Kind>) -> [ServerEvent] {
        harness.services.events.recentEvents.filter { types.contains($0.type) }
    }

    static func summary(_ events: [ServerEvent]) -> [String] {
        events.map { event in
            [event.type.rawValue, event.streamID.map { "\($0)" }, event.streamKind, event.code, event.reason]
                .compactMap { $0 }.joined(separator: " ")
        }
    }

    @Test("opening a session announces it with client, role, remote address and session id, then its streams")
    func opened() throws {
        let harness = try Harness()
        let sessionID = try #require(harness.client.session?.sessionID)
        let events = harness.services.events.recentEvents
        #expect(Self.summary(events) == ["session.opened", "stream.opened 2 control", "stream.opened 7 recording"])
        let opened = try #require(events.first)
        #expect(opened.sessionID == sessionID)
        #expect(opened.clientID == "alice")
        #expect(opened.role == "user")
        #expect(opened.remoteAddress == "127.0.0.1:1")
        #expect(events.allSatisfy { $0.sessionID == sessionID && $0.clientID == "alice" })
        #expect(events.map(\.id) == [1, 2, 3])
    }

    @Test("a client's CLOSE ends the streams and then the session with its code and reason, once")
    func closedByClient() throws {
        var harness = try Harness()
        _ = harness.client.closeStream(7, code: .normal, reason: "", now: monotonicNow())
        try harness.pump()
        harness.client.close(code: .normal, reason: "bye", now: monotonicNow())
        try harness.pump()
        harness.channel.pipeline.fireChannelInactive()
        #expect(Self.summary(Self.events(harness, [.streamClosed, .sessionClosed]))
                == ["stream.closed 7 recording NORMAL", "stream.closed 2 control NORMAL", "session.closed NORMAL bye"])
    }

    @Test("a session the server terminates is announced closed with TERMINATED and the reason")
    func terminated() throws {
        var harness = try Harness()
        let session = try #require(harness.services.registry.allSessions().first)
        _ = session.close(code: .terminated, reason: "admin")
        harness.channel.embeddedEventLoop.run()
        try harness.pump()
        harness.channel.pipeline.fireChannelInactive()
        let closed = Self.events(harness, [.sessionClosed])
        #expect(Self.summary(closed) == ["session.closed TERMINATED admin"])
        #expect(closed.first?.remoteAddress == "127.0.0.1:1")
        #expect(Self.summary(Self.events(harness, [.streamClosed]))
                == ["stream.closed 2 control TERMINATED", "stream.closed 7 recording TERMINATED"])
    }

    @Test("TCP ending without any CLOSE announces the session and its streams as DISCONNECTED")
    func disconnected() throws {
        let harness = try Harness()
        harness.channel.pipeline.fireChannelInactive()
        #expect(Self.summary(Self.events(harness, [.streamClosed, .sessionClosed]))
                == ["stream.closed 2 control DISCONNECTED", "stream.closed 7 recording DISCONNECTED",
                    "session.closed DISCONNECTED"])
    }

    @Test("a subscriber sees the session's life live")
    func subscriberSeesSession() async throws {
        var harness = try Harness()
        let subscription = try harness.services.events.subscribe(after: harness.services.events.lastEventID).get()
        harness.client.close(code: .normal, reason: "bye", now: monotonicNow())
        try harness.pump()
        var seen: [ServerEvent] = []
        for await event in subscription {
            seen.append(event)
            if event.type == .sessionClosed { break }
        }
        #expect(Self.summary(seen).last == "session.closed NORMAL bye")
        #expect(seen.count == 3)
        subscription.cancel()
    }
}
