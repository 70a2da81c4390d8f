import Foundation
import HTTPTypes
import OpenAPIRuntime
import Testing
@testable import OpenAPIMicroHTTPD
import ZTPTestSupport

extension TransportTests {
    /// `shutdown()` with work in flight: handlers get their grace period, streams end, and the
    /// port is free afterwards.
    @Suite("MicroHTTPDTransport: shutdown")
    struct Shutdown {
        /// True if nothing listens on `port` any more and it can be bound again.
        private func portIsFree(_ port: Int) throws -> Bool {
            guard (try? HTTPTestConnection(port: port)) == nil else { return false }
            let again = MicroHTTPDTransport(configuration: .init(port: port))
            try again.start()
            defer { again.stop() }
            return again.port == port
        }

        @Test("a handler in flight finishes and answers within the grace period")
        func waitsForHandler() async throws {
            let log = HandlerLog()
            let server = try TransportTestServer(routes: [(.get, "/slow", log.sleeping(.milliseconds(500)))])
            let port = server.port
            async let answer = server.request("GET", "/slow")
            try await waitUntil("handler started") { log.started == 1 }
            await server.transport.shutdown()
            #expect(log.finished == 1, "shutdown returned before the handler finished")
            let response = try await answer
            #expect(response.status == 200)
            #expect(response.text == "slept")
            #expect(try portIsFree(port))
        }

        @Test("a request arriving during the drain is answered 503 while a handler finishes")
        func refusesDuringDrain() async throws {
            let log = HandlerLog()
            let server = try TransportTestServer(routes: [(.get, "/slow", log.sleeping(.seconds(1)))])
            async let answer = server.request("GET", "/slow")
            try await waitUntil("handler started") { log.started == 1 }
            async let stopped: Void = server.transport.shutdown()
            // Until the drain has begun, a request is still served; once it has, it is refused.
            var refused: HTTPTestResponse?
            while refused == nil, log.finished == 0 {
                let response = try await server.request("GET", "/v1/sessions/a")
                if response.status == 503 { refused = response }
            }
            #expect(log.finished == 0, "no request was refused while the handler was in flight")
            #expect(refused?.problem?.detail == "the server is shutting down")
            #expect(server.observations.all.last == .init(method: "GET", route: "/v1/sessions/{id}", status: 503))
            await stopped
            #expect(try await answer.status == 200)
        }

        @Test("every answer of handlers finishing during shutdown is sent before the daemon stops")
        func sendsAnswersBeforeStopping() async throws {
            let log = HandlerLog()
            let count = 20
            let server = try TransportTestServer(routes: [(.get, "/slow", log.sleeping(.milliseconds(300)))])
            let port = server.port
            let connections = try (0..<count).map { _ in try HTTPTestConnection(port: port) }
            for connection in connections {
                connection.write(HTTPTestConnection.requestHead("GET", "/slow"))
            }
            try await waitUntil("handlers started") { log.started == count }
            await server.transport.shutdown()
            let statuses = await offPool {
                connections.map { (try? HTTPTestResponse(parsing: $0.receiveUntilClosed()))?.status ?? 0 }
            }
            #expect(statuses == Array(repeating: 200, count: count))
        }

        @Test("a handler that outlives the grace period is answered 503 and shutdown returns")
        func abandonsStuckHandler() async throws {
            let log = HandlerLog()
            let stubbornFor = Duration.seconds(4)
            var configuration = MicroHTTPDTransport.Configuration()
            configuration.shutdownGracePeriod = .milliseconds(300)
            let server = try TransportTestServer(configuration: configuration, routes: [(.get, "/stuck", { _, _, _ in
                log.start()
                defer { log.finish() }
                // Ignores cancellation: each sleep ends at once once cancelled, the loop goes on.
                let end = ContinuousClock.now + stubbornFor
                while ContinuousClock.now < end {
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return TransportTestServer.text("too late")
            })])
            let port = server.port
            async let answer = server.request("GET", "/stuck")
            try await waitUntil("handler started") { log.started == 1 }
            let started = ContinuousClock.now
            await server.transport.shutdown()
            let took = started.duration(to: .now)
            #expect(took < stubbornFor / 2, "shutdown took \(took)")
            #expect(log.finished == 0)
            let response = try await answer
            #expect(response.status == 503)
            #expect(response.problem?.detail == "the server is shutting down")
            #expect(try portIsFree(port))
            // The handler's late answer goes nowhere, and harms nothing.
            try await waitUntil(seconds: 10, "handler finished") { log.finished == 1 }
        }

        @Test("an open stream ends on shutdown, which then returns")
        func endsStreams() async throws {
            let events = TestEventStream()
            let server = try TransportTestServer(routes: [(.get, "/events", events.handler)])
            let port = server.port
            let connection = try HTTPTestConnection(port: server.port)
            connection.write(HTTPTestConnection.requestHead("GET", "/events", headers: ["Connection": "keep-alive"]))
            events.yield("data: one\n\n")
            #expect(try await offPool { connection.receive(until: "data: one\n\n") } != nil)

            let started = ContinuousClock.now
            async let rest = offPool { connection.receiveUntilClosed() }
            await server.transport.shutdown()
            #expect(started.duration(to: .now) < .seconds(3))
            // The chunked body was ended properly, then the connection closed.
            #expect(String(decoding: try await rest, as: UTF8.self).hasSuffix("0\r\n\r\n"))
            try await waitUntil("producer's stream terminated") { events.isTerminated }
            #expect(try portIsFree(port))
        }

        @Test("stopping while MHD threads are busy never aborts the process")
        func stopWhileThreadsAreBusy() async throws {
            // libmicrohttpd 0.9.75 aborts (MHD_PANIC) when MHD_quiesce_daemon and an epoll worker
            // both take the listening socket out of the epoll set (the worker looks at the same
            // unlocked flags while it handles events); the transport must not quiesce.
            for _ in 0..<40 {
                let server = try TransportTestServer(configuration: .init(threadPoolSize: 2))
                let port = server.port
                let busy = Locked(true)
                // Clients keep the workers' epoll loops turning while the transport stops.
                let clients = (0..<2).map { _ in
                    Thread {
                        while busy.withLock({ $0 }) {
                            guard let connection = try? HTTPTestConnection(port: port, timeoutSeconds: 1) else { return }
                            connection.write(HTTPTestConnection.requestHead("GET", "/v1/sessions/a"))
                        }
                    }
                }
                clients.forEach { $0.start() }
                try await Task.sleep(for: .milliseconds(2))
                server.stop()
                busy.withLock { $0 = false }
            }
        }

        @Test("shutdown of a transport never started, or already shut down, returns at once")
        func idempotent() async throws {
            let idle = MicroHTTPDTransport(configuration: .init())
            await idle.shutdown()
            let server = try TransportTestServer()
            await server.transport.shutdown()
            await server.transport.shutdown()
            server.stop()
            #expect(server.transport.openRequestCount == 0)
        }
    }
}
