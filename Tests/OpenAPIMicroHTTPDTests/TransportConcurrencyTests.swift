import Foundation
import HTTPTypes
import OpenAPIRuntime
import Testing
@testable import OpenAPIMicroHTTPD
import ZTPTestSupport

/// What handlers running concurrently report to the test.
final class HandlerLog: Sendable {
    private struct State {
        var started = 0
        var finished = 0
        var inFlight = 0
        var maxInFlight = 0
    }

    private let state = LockedBox(State())

    var started: Int { state.withLock { $0.started } }
    var finished: Int { state.withLock { $0.finished } }
    var maxInFlight: Int { state.withLock { $0.maxInFlight } }

    func start() {
        state.withLock {
            $0.started += 1
            $0.inFlight += 1
            $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
        }
    }

    func finish() {
        state.withLock {
            $0.finished += 1
            $0.inFlight -= 1
        }
    }

    /// A handler that sleeps `duration` (asynchronously) between `start` and `finish`.
    func sleeping(_ duration: Duration) -> TransportHandler {
        { _, _, _ in
            self.start()
            defer { self.finish() }
            try await Task.sleep(for: duration)
            return TransportTestServer.text("slept")
        }
    }
}

extension TransportTests {
    /// Handlers run as tasks on suspended connections: none of them holds an MHD thread.
    @Suite("MicroHTTPDTransport: async handlers")
    struct AsyncHandlers {
        @Test("a handler that sleeps does not hold up another request, with a single MHD thread")
        func slowHandlerDoesNotBlock() async throws {
            let slow = HandlerLog()
            let server = try TransportTestServer(configuration: .init(threadPoolSize: 1), routes: [
                (.get, "/slow", slow.sleeping(.seconds(1))),
                (.get, "/fast", { _, _, _ in TransportTestServer.text(slow.finished == 0 ? "slow still running" : "after slow") }),
            ])
            defer { server.stop() }
            async let slowResponse = server.request("GET", "/slow")
            try await waitUntil("slow handler started") { slow.started == 1 }
            let fast = try await server.request("GET", "/fast")
            // Answered while the slow handler was still asleep, and seen to be by the client first.
            #expect(fast.text == "slow still running")
            #expect(slow.finished == 0)
            let slowAnswer = try await slowResponse
            #expect(slowAnswer.status == 200)
            #expect(slowAnswer.text == "slept")
        }

        @Test("50 concurrent 200 ms handlers on one MHD thread all answer in about one handler's time")
        func manySlowHandlers() async throws {
            let log = HandlerLog()
            let handlerTime = Duration.milliseconds(200)
            let count = 50
            let server = try TransportTestServer(configuration: .init(threadPoolSize: 1), routes: [
                (.get, "/slow", log.sleeping(handlerTime)),
            ])
            defer { server.stop() }
            let port = server.port
            let started = ContinuousClock.now
            // All requests are sent before any answer is read: one client thread, 50 connections.
            let statuses = try await offPool {
                let connections = try (0..<count).map { _ in try HTTPTestConnection(port: port) }
                for connection in connections {
                    connection.write(HTTPTestConnection.requestHead("GET", "/slow"))
                }
                return try connections.map { try HTTPTestResponse(parsing: $0.receiveUntilClosed()).status }
            }
            let elapsed = started.duration(to: .now)
            #expect(statuses == Array(repeating: 200, count: count))
            #expect(log.finished == count)
            // One at a time would take count × handlerTime (10 s); a generous bound well below.
            #expect(elapsed < handlerTime * (count / 4), "took \(elapsed)")
            #expect(log.maxInFlight > 1)
        }
    }
}
