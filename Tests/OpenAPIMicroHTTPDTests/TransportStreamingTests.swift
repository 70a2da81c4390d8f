import Foundation
import HTTPTypes
import OpenAPIRuntime
import Testing
@testable import OpenAPIMicroHTTPD
import ZTPTestSupport

/// A response whose body the test produces, chunk by chunk, from an `AsyncStream`.
struct TestEventStream: Sendable {
    let stream: AsyncStream<ArraySlice<UInt8>>
    let continuation: AsyncStream<ArraySlice<UInt8>>.Continuation
    /// Set once the stream's consumer is gone (cancelled, or the stream finished).
    let terminated = Locked(false)

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: ArraySlice<UInt8>.self)
        let terminated = terminated
        continuation.onTermination = { _ in terminated.withLock { $0 = true } }
    }

    var isTerminated: Bool { terminated.withLock { $0 } }

    func yield(_ text: String) {
        continuation.yield(ArraySlice(text.utf8))
    }

    /// Serves `stream` as `text/event-stream` of unknown length.
    var handler: TransportHandler {
        { _, _, _ in
            var response = HTTPResponse(status: .ok)
            response.headerFields[.contentType] = "text/event-stream"
            return (response, HTTPBody(stream, length: .unknown, iterationBehavior: .single))
        }
    }
}

/// The payloads of complete HTTP/1.1 chunks in `bytes` ("" for the last chunk); nil if `bytes`
/// is not a whole number of well-formed chunks.
func chunks(_ bytes: ArraySlice<UInt8>) -> [String]? {
    var rest = bytes
    var payloads: [String] = []
    let crlf = Array("\r\n".utf8)
    while !rest.isEmpty {
        guard let lineEnd = rest.firstRange(of: crlf),
              let size = Int(String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self), radix: 16),
              rest[lineEnd.upperBound...].count >= size + 2,
              rest[(lineEnd.upperBound + size)...].starts(with: crlf)
        else { return nil }
        payloads.append(String(decoding: rest[lineEnd.upperBound..<(lineEnd.upperBound + size)], as: UTF8.self))
        rest = rest[(lineEnd.upperBound + size + 2)...]
    }
    return payloads
}

extension TransportTests {
    /// Bodies of unknown length: chunked, as produced, with back-pressure.
    @Suite("MicroHTTPDTransport: streamed responses")
    struct Streaming {
        @Test("chunks reach the client as they are produced, chunked, and the response ends with the stream")
        func chunksAsProduced() async throws {
            let events = TestEventStream()
            let server = try TransportTestServer(routes: [(.get, "/events", events.handler)])
            defer { server.stop() }
            let connection = try HTTPTestConnection(port: server.port)
            connection.write(HTTPTestConnection.requestHead("GET", "/events", headers: ["Connection": "keep-alive"]))

            events.yield("data: first\n\n")
            let first = try #require(try await offPool { connection.receive(until: "data: first\n\n") })
            let head = try HTTPTestResponse(parsing: first)
            #expect(head.status == 200)
            #expect(head.headers["content-type"] == "text/event-stream")
            #expect(head.headers["transfer-encoding"] == "chunked")
            #expect(head.headers["content-length"] == nil)
            // The first chunk arrived before the second existed.
            #expect(chunks(head.body[...]) == ["data: first\n\n"])

            events.yield("data: second\n\n")
            let second = try #require(try await offPool { connection.receive(until: "data: second\n\n") })
            #expect(chunks(second[...]) == ["data: second\n\n"])
            #expect(!events.isTerminated)

            events.continuation.finish()
            let end = try #require(try await offPool { connection.receive(until: "0\r\n\r\n") })
            #expect(chunks(end[...]) == [""])
            try await waitUntil("request completed") { server.transport.openRequestCount == 0 }
        }

        @Test("a producer far ahead of a client that does not read is suspended, not buffered")
        func backPressure() async throws {
            let chunk = ArraySlice([UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024))
            let attempted = 64 << 20
            let handedOver = Locked(0)
            let body = AsyncStream<ArraySlice<UInt8>>(unfolding: {
                let total = handedOver.withLock { total -> Int? in
                    guard total < attempted else { return nil }
                    total += chunk.count
                    return total
                }
                return total == nil ? nil : chunk
            })
            var configuration = MicroHTTPDTransport.Configuration()
            configuration.streamBufferLimit = 64 * 1024
            let server = try TransportTestServer(configuration: configuration, routes: [(.get, "/flood", { _, _, _ in
                (HTTPResponse(status: .ok), HTTPBody(body, length: .unknown, iterationBehavior: .single))
            })])
            defer { server.stop() }
            let connection = try HTTPTestConnection(port: server.port, receiveBuffer: 16 * 1024)
            connection.write(HTTPTestConnection.requestHead("GET", "/flood"))

            // The client reads nothing; what the producer managed to hand over settles at the
            // transport's buffer plus what the sockets hold (a few MiB at most on loopback).
            try await Task.sleep(for: .seconds(1))
            let settled = handedOver.withLock { $0 }
            try await Task.sleep(for: .milliseconds(500))
            let later = handedOver.withLock { $0 }
            #expect(settled > 0)
            #expect(later < 8 << 20, "the producer handed over \(later) bytes to a client that reads nothing")
            #expect(later - settled <= 2 * configuration.streamBufferLimit)

            // Once the client reads, everything arrives.
            let received = await offPool { connection.receiveUntilClosed().count }
            #expect(handedOver.withLock { $0 } == attempted)
            #expect(received > attempted)
        }

        @Test("a client that disconnects mid-stream ends the producer and frees the request")
        func clientDisconnects() async throws {
            let events = TestEventStream()
            let server = try TransportTestServer(routes: [(.get, "/events", events.handler)])
            defer { server.stop() }
            // A heartbeat: a gone client is only noticed when something is written to it.
            let producer = Task {
                var ticks = 0
                while case .enqueued = events.continuation.yield(ArraySlice(": tick\n".utf8)) {
                    ticks += 1
                    try? await Task.sleep(for: .milliseconds(50))
                }
                return ticks
            }
            do {
                let connection = try HTTPTestConnection(port: server.port)
                connection.write(HTTPTestConnection.requestHead("GET", "/events", headers: ["Connection": "keep-alive"]))
                #expect(try await offPool { connection.receive(until: ": tick\n") } != nil)
                #expect(server.transport.openRequestCount == 1)
            }
            try await waitUntil("producer's stream terminated") { events.isTerminated }
            try await waitUntil("request freed") { server.transport.openRequestCount == 0 }
            let ticks = await producer.value
            #expect(ticks > 0)
        }
    }
}
