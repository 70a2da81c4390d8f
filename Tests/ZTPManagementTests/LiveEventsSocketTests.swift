import Foundation
import NIOCore
import NIOPosix
import Testing
import ZTPClient
import ZTPCore
import ZTPServer

/// The events a real listener publishes over real loopback sockets, as a subscriber of its
/// hub sees them: started, sessions and streams opening and closing (by the client, by the
/// server), draining.
@Suite("Live events over sockets")
struct LiveEventsSocketTests {
    /// Reads events until one matches `until`, or fails after a generous deadline (the bound
    /// is not the point; a stuck iteration is).
    static func read(_ subscription: EventSubscription, until done: @escaping @Sendable (ServerEvent) -> Bool)
        async throws -> [ServerEvent]
    {
        try await withThrowingTaskGroup(of: [ServerEvent]?.self) { group in
            group.addTask {
                var seen: [ServerEvent] = []
                for await event in subscription {
                    seen.append(event)
                    if done(event) { return seen }
                }
                return seen
            }
            group.addTask {
                try await Task.sleep(for: .seconds(30))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            return try #require(first, "no matching event within 30 s")
        }
    }

    /// A real listener on a free loopback port (streams 1 and 2 for role `user`), and a way to
    /// connect clients to it.
    struct Server {
        let services: ServerServices
        let listener: ZTPListener
        let port: Int
        let secret = SecretBytes(SecureRandom.bytes(32))
        let identity = Ed25519.KeyPair(seed: SecretBytes(SecureRandom.bytes(32)))

        init() async throws {
            var configuration = ServerConfiguration()
            configuration.port = 0
            configuration.shutdownGracePeriod = 10
            configuration.policy = Policy(roles: ["user": Policy.Role(streams: [1, 2], commands: ["ping"])])
            services = ServerServices(configuration: configuration, identity: identity, tokenSecret: secret)
            listener = ZTPListener(services: services, group: MultiThreadedEventLoopGroup.singleton)
            port = try #require(try await listener.bind().port)
        }

        func connect(_ client: String) async throws -> ZTPClient {
            let now = Int64(Date().timeIntervalSince1970)
            let token = TokenMinter(secret: secret).mint(TokenClaims(subject: client, role: "user", issuedAt: now,
                                                                      expiresAt: now + 600, id: TokenMinter.newTokenID()))
            return try await ZTPClient.connect(host: "127.0.0.1", port: port, token: token, trust: .pinned(identity.publicKey))
        }
    }

    @Test("a subscriber sees the server start, a session open a stream and close, a termination, and draining that closes the last one")
    func lifecycle() async throws {
        let server = try await Server()
        let (services, listener) = (server.services, server.listener)
        let subscription = try services.events.subscribe(after: nil).get()
        defer { subscription.cancel() }
        let connect = server.connect

        let alice = try await connect("alice")
        _ = try await alice.openStream(2)
        var events = try await Self.read(subscription) { $0.type == .streamOpened }
        #expect(events.map(\.type) == [.serverStarted, .sessionOpened, .streamOpened])
        #expect(events[1].sessionID == alice.sessionID && events[1].clientID == "alice" && events[1].role == "user")
        #expect(events[1].remoteAddress?.hasPrefix("127.0.0.1:") == true)
        #expect(events[2].streamID == 2 && events[2].streamKind == "control")

        await alice.close()
        events = try await Self.read(subscription) { $0.type == .sessionClosed }
        #expect(events.map(\.type) == [.streamClosed, .sessionClosed])
        #expect(events.map(\.code) == ["NORMAL", "NORMAL"])
        #expect(events.allSatisfy { $0.sessionID == alice.sessionID })

        let bob = try await connect("bob")
        _ = try await Self.read(subscription) { $0.type == .sessionOpened }
        let session = try #require(services.registry.allSessions().first)
        #expect(try await session.close(code: .terminated, reason: "admin").get())
        events = try await Self.read(subscription) { $0.type == .sessionClosed }
        #expect(events.last?.sessionID == bob.sessionID)
        #expect(events.last?.code == "TERMINATED" && events.last?.reason == "admin")

        let carol = try await connect("carol")
        _ = try await Self.read(subscription) { $0.type == .sessionOpened }
        await listener.shutdown()
        events = try await Self.read(subscription) { $0.type == .sessionClosed }
        #expect(events.map(\.type) == [.serverDraining, .sessionClosed])
        #expect(events.first?.count == 1)
        #expect(events.last?.sessionID == carol.sessionID && events.last?.code == "SERVER_SHUTDOWN")
        let ids = services.events.recentEvents.map(\.id)
        #expect(ids == Array(1...UInt64(ids.count)))
    }

    @Test("chat is announced as it happens: the first message at once, a burst after it gathered into one event a second, never the text")
    func chat() async throws {
        let server = try await Server()
        let subscription = try server.services.events.subscribe(after: nil).get()
        defer { subscription.cancel() }
        let alice = try await server.connect("alice")
        let chat = try await alice.openStream(1)
        var replies = chat.makeAsyncIterator()

        // Each send waits for the server's "ok: delivered to 0", so the messages are counted in order.
        let burst = 20
        let started = ContinuousClock.now
        for index in 0..<burst {
            try await chat.send("secret-\(index)")
            _ = try await replies.next()
        }
        var announced = 0
        var events: [ServerEvent] = []
        while announced < burst {
            let chatEvent = try await Self.read(subscription) { $0.type == .chatSent }.last!
            events.append(chatEvent)
            announced += chatEvent.count ?? 0
        }
        #expect(announced == burst)
        #expect(events.first?.count == 1, "the first message is announced alone, at once")
        // One event at once, then at most one per second that passed.
        #expect(events.count <= 2 + Int((ContinuousClock.now - started).components.seconds))
        #expect(events.allSatisfy { $0.sessionID == alice.sessionID && $0.clientID == "alice" && $0.streamID == 1
                && $0.streamKind == "chat" })
        #expect(events.allSatisfy { !($0.detail ?? "").contains("secret") && ($0.detail ?? "").contains("bytes") })

        // A message gathered and not yet announced is announced before the session's close.
        try await chat.send("one more")
        _ = try await replies.next()
        try await chat.send("and another")
        _ = try await replies.next()
        await alice.close()
        let closing = try await Self.read(subscription) { $0.type == .sessionClosed }
        let gathered = closing.filter { $0.type == .chatSent }.compactMap(\.count).reduce(0, +)
        #expect(gathered == 2)
        let firstClose = try #require(closing.firstIndex { $0.type == .streamClosed })
        #expect(closing.lastIndex { $0.type == .chatSent }.map { $0 < firstClose } ?? false)
        await server.listener.shutdown()
    }
}
