import Foundation
import Testing
import ZTPClient
import ZTPCore

extension ManagementAPITests {
    /// `GET /v1/events` and `GET /v1/stats` against the real process, read by a real client.
    @Suite("Management API: events and stats")
    struct Events {
        @Test("a subscriber sees a client connect, chat and be terminated, as it happens, then resumes with Last-Event-ID")
        func liveEvents() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let subscriber = try await EventStreamClient.connect(port: server.httpPort, key: ManagementAPIServer.adminKey)
            #expect(subscriber.status == 200)
            #expect(subscriber.headers["content-type"] == "text/event-stream")
            #expect(subscriber.headers["cache-control"] == "no-store")
            let started = try #require(await subscriber.next { $0.type == "server.started" }, "held events are replayed to a new subscriber")
            #expect(started.data["detail"].string == "listening on 127.0.0.1:\(server.ztpPort)")

            let issued = try await server.issueToken(clientID: "alice", role: "user")
            let tokenEvent = try #require(await subscriber.next { $0.type == "token.issued" && $0.data["client_id"].string == "alice" })
            #expect(tokenEvent.data["jti"].string == issued["jti"].string)
            #expect(!tokenEvent.data.keys.contains("token"), "the token itself never appears")

            let client = try await server.connect(token: try #require(issued["token"].string))
            let chat = try await client.openStream(1)
            try await chat.send("hello")
            let opened = try #require(await subscriber.next { $0.type == "session.opened" })
            let sessionID = try #require(opened.data["session_id"].string)
            #expect(opened.data["client_id"].string == "alice")
            #expect(opened.data["remote_address"].string?.hasPrefix("127.0.0.1:") == true)
            let stream = try #require(await subscriber.next { $0.type == "stream.opened" })
            #expect(stream.data["stream_id"].int == 1 && stream.data["stream_kind"].string == "chat")

            #expect(try await server.request("DELETE", "/v1/sessions/\(sessionID)").status == 204)
            let closed = try #require(await subscriber.next { $0.type == "session.closed" })
            #expect(closed.data["session_id"].string == sessionID)
            #expect(closed.data["code"].string == "TERMINATED")
            #expect(closed.data["reason"].string == "terminated by administrator")
            #expect(await client.closed().code == .closedByServer(.terminated))

            // Resuming after the session opened replays exactly what came after it.
            let openedEventID = try #require(opened.id)
            let resumed = try await EventStreamClient.connect(port: server.httpPort, key: ManagementAPIServer.adminKey,
                                                              lastEventID: openedEventID)
            let first = try #require(await resumed.next())
            let openedID = try #require(opened.id.flatMap { Int($0) })
            #expect(first.id == String(openedID + 1))
            #expect(await resumed.next { $0.type == "session.closed" } != nil)
        }

        @Test("on SIGTERM a subscriber sees the drain and every session's SERVER_SHUTDOWN before its stream ends")
        func drainEvents() async throws {
            let server = try await ManagementAPIServer()
            let client = try await server.connect(token: try #require(try await server.issueToken(clientID: "dora")["token"].string))
            let subscriber = try await EventStreamClient.connect(port: server.httpPort, key: ManagementAPIServer.adminKey)
            #expect(await subscriber.next { $0.type == "session.opened" } != nil)
            #expect(await server.stop() == 0)
            let draining = try #require(await subscriber.next { $0.type == "server.draining" })
            #expect(draining.data["count"].int == 1)
            let closed = try #require(await subscriber.next { $0.type == "session.closed" })
            #expect(closed.data["code"].string == "SERVER_SHUTDOWN")
            #expect(await subscriber.hasEnded(), "the stream ends cleanly once the API stops")
            #expect(await client.closed().code == .closedByServer(.serverShutdown))
        }

        @Test("subscribers are capped (503 past 16); a subscriber that leaves frees its place; no key is 401")
        func subscriberCap() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            var subscribers: [EventStreamClient] = []
            for _ in 0..<16 {
                let subscriber = try await EventStreamClient.connect(port: server.httpPort, key: ManagementAPIServer.adminKey)
                #expect(subscriber.status == 200)
                subscribers.append(subscriber)
            }
            let refused = try await EventStreamClient.connect(port: server.httpPort, key: ManagementAPIServer.adminKey)
            #expect(refused.status == 503)
            #expect(refused.headers["retry-after"] == "5")
            #expect(try await EventStreamClient.connect(port: server.httpPort, key: "wrong").status == 401)

            // A subscriber that disconnects is noticed at the next write (an event here) and
            // its place is given back.
            subscribers.removeLast()
            _ = try await server.issueToken(clientID: "nudge")
            #expect(await managementAPIEventually(10) {
                _ = try await server.issueToken(clientID: "nudge")
                return try await EventStreamClient.connect(port: server.httpPort, key: ManagementAPIServer.adminKey).status == 200
            })
            let metrics = try await server.metrics()
            #expect((metrics.value("ztp_events_subscribers_refused_total") ?? 0) >= 1)
            // The server still answers everything else while 16 streams are open.
            #expect(try await server.request("GET", "/healthz").status == 200)
        }

        @Test("GET /v1/stats has per-second samples with the handshakes and traffic of a session; since= gives the rest")
        func stats() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let token = try #require(try await server.issueToken(clientID: "bob")["token"].string)
            let client = try await server.connect(token: token)
            let control = try await client.openStream(2)
            try await control.send("ping")
            _ = try await managementAPIReceive(control)
            #expect(try await server.refusal(token: "not-a-token").code == .closedByServer(.authFailed))
            var samples: [ManagementAPIJSON] = []
            #expect(await managementAPIEventually(5) {
                samples = try await server.getJSON("/v1/stats")["samples"].array
                let handshakes = samples.compactMap { $0["handshakes_ok"].int }.reduce(0, +)
                let failed = samples.compactMap { $0["handshakes_failed"]["auth_failed"].int }.reduce(0, +)
                return handshakes == 1 && failed == 1
            }, "the handshakes show up in the samples within a second or two")
            #expect(samples.compactMap { $0["bytes_in"].int }.reduce(0, +) > 0)
            #expect(samples.last?["sessions"].int == 1)
            #expect(samples.allSatisfy { $0["http_requests"].int != nil && $0["time"].date != nil })
            let times = samples.compactMap { $0["time"].date }
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "oldest first, one per second")

            let last = try #require(samples.last?["time"].string)
            let later = try await server.getJSON("/v1/stats?since=\(last)")["samples"].array
            #expect(later.allSatisfy { ($0["time"].date ?? .distantPast) > (samples.last?["time"].date ?? .distantFuture) })
            #expect(try await server.request("GET", "/v1/stats?since=yesterday").status == 400)
            await client.close()
        }
    }
}
