import Foundation
import HTTPTypes
import OpenAPIRuntime
import Testing
@testable import OpenAPIMicroHTTPD
import ZTPTestSupport

extension TransportTests {
    /// Routing, refusals and errors: a real transport on 127.0.0.1 (port 0), raw loopback
    /// sockets as the client.
    @Suite("MicroHTTPDTransport over loopback")
    struct Loopback {
        @Test("a handler receives path parameters and query as generated code decodes them, and the peer address")
        func pathParametersAndQuery() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            let response = try await server.request("GET", "/v1/sessions/s%201/streams/a%2Fb?q=x%26y+z&q=second&flag")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.json([String: String].self) == [
                "id": "s 1", "stream_id": "a/b", "q": "x&y z|second", "remote": "127.0.0.1",
                "route": "/v1/sessions/{id}/streams/{stream_id}",
            ])
        }

        @Test("a query item without '=' is handed over as an empty value, which the runtime accepts")
        func bareQueryItem() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            let response = try await server.request("GET", "/v1/sessions/a/streams/b?debug&q=x")
            #expect(response.status == 200)
            #expect(response.json([String: String].self)?["q"] == "x")
        }

        @Test("path parameters reach the handler still percent-encoded, so they are decoded once")
        func pathParametersDecodedOnce() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            // "%2525" is an encoded "%25": decoding twice would give "%", or nothing at all.
            let response = try await server.request("GET", "/v1/sessions/100%2525/streams/50%25")
            #expect(response.status == 200)
            let json = response.json([String: String].self)
            #expect(json?["id"] == "100%25")
            #expect(json?["stream_id"] == "50%")
        }

        @Test("an unknown path answers a 404 problem+json")
        func notFound() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            let response = try await server.request("GET", "/v2/nothing")
            #expect(response.status == 404)
            #expect(response.headers["content-type"] == "application/problem+json")
            #expect(response.problem?.title == "Not Found")
            #expect(response.problem?.type == "about:blank")
            #expect(response.problem?.status == 404)
        }

        @Test("a path served under other methods answers 405 with Allow listing them")
        func methodNotAllowed() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            let response = try await server.request("PUT", "/v1/sessions/abc")
            #expect(response.status == 405)
            #expect(response.headers["allow"] == "DELETE, GET, HEAD")
            #expect(response.headers["content-type"] == "application/problem+json")
            #expect(response.problem?.status == 405)
            let fail = try await server.request("POST", "/v1/fail")
            #expect(fail.status == 405)
            #expect(fail.headers["allow"] == "GET, HEAD")
        }

        @Test("a Content-Length over the limit answers 413 before any body is sent")
        func contentLengthTooLarge() async throws {
            let server = try TransportTestServer(configuration: .init(bodyLimit: 1024))
            defer { server.stop() }
            let port = server.port
            let response = try await offPool {
                let connection = try HTTPTestConnection(port: port)
                connection.write(
                    "POST /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000000\r\n\r\n"
                )
                return try HTTPTestResponse(parsing: connection.receiveUntilClosed())
            }
            #expect(response.status == 413)
            #expect(response.headers["content-type"] == "application/problem+json")
            #expect(response.problem?.detail == "request body is larger than 1024 bytes")
            #expect(server.observations.all == [.init(method: "POST", route: "/v1/upload", status: 413)])
        }

        @Test("a chunked upload that grows past the limit answers 413")
        func chunkedTooLarge() async throws {
            let server = try TransportTestServer(configuration: .init(bodyLimit: 1024))
            defer { server.stop() }
            let port = server.port
            let response = try await offPool {
                let connection = try HTTPTestConnection(port: port)
                connection.write(
                    "POST /v1/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                )
                let chunk = "200\r\n" + String(repeating: "a", count: 0x200) + "\r\n"
                for _ in 0..<8 where connection.write(chunk) {}
                connection.write("0\r\n\r\n")
                return try HTTPTestResponse(parsing: connection.receiveUntilClosed())
            }
            #expect(response.status == 413)
            #expect(response.problem?.status == 413)
            #expect(server.observations.all == [.init(method: "POST", route: "/v1/upload", status: 413)])
        }

        @Test("a chunked upload that never ends is cut off once far past the limit")
        func endlessUpload() async throws {
            let server = try TransportTestServer(configuration: .init(bodyLimit: 1024))
            defer { server.stop() }
            let port = server.port
            let (sent, answer) = try await offPool {
                let connection = try HTTPTestConnection(port: port)
                connection.write("POST /v1/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                let chunk = Array(("10000\r\n" + String(repeating: "z", count: 0x10000) + "\r\n").utf8)
                var sent = 0
                while sent < 4 * RequestBody.discardAllowance, connection.write(chunk) {
                    sent += chunk.count
                }
                return (sent, connection.receiveUntilClosed())
            }
            // The server reads (and drops) the allowance past the limit before it closes.
            #expect(sent > RequestBody.discardAllowance)
            #expect(sent < 4 * RequestBody.discardAllowance)
            #expect(answer.isEmpty)
            #expect(server.observations.all.isEmpty)
        }

        @Test("a request aborted mid-body frees its context")
        func abortedRequestFreed() async throws {
            let server = try TransportTestServer(configuration: .init(bodyLimit: 1024))
            defer { server.stop() }
            do {
                let connection = try HTTPTestConnection(port: server.port)
                connection.write("POST /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
                try await waitUntil("one open request") { server.transport.openRequestCount == 1 }
                withExtendedLifetime(connection) {}
            }
            try await waitUntil("no open request") { server.transport.openRequestCount == 0 }
            #expect(server.observations.all.isEmpty)
        }

        @Test("a body within the limit reaches the handler intact, chunked or not")
        func bodyWithinLimit() async throws {
            let server = try TransportTestServer(configuration: .init(bodyLimit: 1024))
            defer { server.stop() }
            let bytes = (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
            let plain = try await server.request("POST", "/v1/upload", body: bytes)
            #expect(plain.status == 200)
            #expect(plain.headers["x-body-length"] == "1024")
            #expect(plain.body == bytes)
            let port = server.port
            let chunked = try await offPool {
                let connection = try HTTPTestConnection(port: port)
                connection.write("POST /v1/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n")
                connection.write(Array("200\r\n".utf8) + bytes[..<512] + Array("\r\n".utf8))
                connection.write(Array("200\r\n".utf8) + bytes[512...] + Array("\r\n0\r\n\r\n".utf8))
                return try HTTPTestResponse(parsing: connection.receiveUntilClosed())
            }
            #expect(chunked.status == 200)
            #expect(chunked.body == bytes)
        }

        @Test("the handler reads the request body as it arrives: the first chunk before the client has sent the rest")
        func bodyStreamsIn() async throws {
            let firstChunk = Locked<[UInt8]?>(nil)
            let server = try TransportTestServer(configuration: .init(bodyLimit: 1024), routes: [(.post, "/stream-in", { _, body, _ in
                var total = 0
                for try await chunk in body! {
                    if firstChunk.withLock({ $0 == nil }) { firstChunk.withLock { $0 = Array(chunk) } }
                    total += chunk.count
                }
                return TransportTestServer.text("\(total)")
            })])
            defer { server.stop() }
            let connection = try HTTPTestConnection(port: server.port)
            connection.write("POST /stream-in HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n")
            connection.write("5\r\nhello\r\n")
            // The rest is not sent until the handler has seen the first chunk.
            try await waitUntil("the handler read the first chunk") { firstChunk.withLock { $0 } == Array("hello".utf8) }
            let answer = try await offPool {
                connection.write("6\r\n world\r\n0\r\n\r\n")
                return try HTTPTestResponse(parsing: connection.receiveUntilClosed())
            }
            #expect(answer.status == 200)
            #expect(answer.text == "11")
        }

        @Test("a request without a body gives the handler nil; an empty declared body is empty")
        func noBody() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            #expect(try await server.request("GET", "/v1/upload").text == "nil")
            let empty = try await server.request("POST", "/v1/upload", headers: ["Content-Length": "0"])
            #expect(empty.headers["x-body-length"] == "0")
        }

        @Test("HEAD is served by the GET handler, with its headers and no body")
        func head() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            let get = try await server.request("GET", "/v1/sessions/abc")
            let head = try await server.request("HEAD", "/v1/sessions/abc")
            #expect(get.text == "session abc")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(head.headers["content-type"] == get.headers["content-type"])
            #expect(head.headers["content-length"] == "\(get.body.count)")
        }

        @Test("a thrown non-HTTP error becomes a 500 problem that hides the error's text")
        func internalError() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            let response = try await server.request("GET", "/v1/fail")
            #expect(response.status == 500)
            #expect(response.headers["content-type"] == "application/problem+json")
            #expect(response.problem?.detail == "internal server error")
            #expect(!response.text.contains("secret"))
        }

        @Test("a response body of known length over the response limit is a 500, not sent")
        func responseTooLarge() async throws {
            var configuration = MicroHTTPDTransport.Configuration()
            configuration.responseLimit = 1000
            let server = try TransportTestServer(configuration: configuration, routes: [
                (.get, "/big", { _, _, _ in (HTTPResponse(status: .ok), HTTPBody([UInt8](repeating: 1, count: 1001))) }),
                (.get, "/fits", { _, _, _ in (HTTPResponse(status: .ok), HTTPBody([UInt8](repeating: 1, count: 1000))) }),
            ])
            defer { server.stop() }
            let big = try await server.request("GET", "/big")
            #expect(big.status == 500)
            #expect(big.problem?.detail == "internal server error")
            #expect(try await server.request("GET", "/fits").body.count == 1000)
        }

        @Test("a thrown 401 carries WWW-Authenticate: Bearer")
        func unauthorized() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            let response = try await server.request("GET", "/v1/private")
            #expect(response.status == 401)
            #expect(response.headers["www-authenticate"] == "Bearer")
            #expect(response.problem?.detail == "a bearer token is required")
        }

        @Test("malformed percent-encoding in the path or query answers 400")
        func malformedPercentEncoding() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            #expect(try await server.request("GET", "/v1/sessions/%zz").status == 400)
            #expect(try await server.request("GET", "/v1/sessions/%C3").status == 400)
            #expect(try await server.request("GET", "/v1/sessions/a?q=%4").status == 400)
            #expect(server.observations.all.map(\.status) == [400, 400, 400])
        }

        @Test("the observer sees the transport's own answers, labelled by route template")
        func observerLabels() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            _ = try await server.request("GET", "/v1/sessions/one/streams/two")
            _ = try await server.request("GET", "/nowhere/at/all")
            _ = try await server.request("PATCH", "/v1/sessions/four")
            #expect(server.observations.all == [
                .init(method: "GET", route: "unmatched", status: 404),
                .init(method: "PATCH", route: "/v1/sessions/{id}", status: 405),
            ])
        }

        @Test("stop closes the listening socket, frees the port and is idempotent")
        func stopFreesPort() async throws {
            let server = try TransportTestServer()
            let port = server.port
            #expect(try await server.request("GET", "/v1/sessions/a").status == 200)
            server.stop()
            server.stop()
            await server.transport.shutdown()
            #expect(throws: HTTPTestConnection.Failure.self) { try HTTPTestConnection(port: port) }
            let again = MicroHTTPDTransport(configuration: .init(host: "127.0.0.1", port: port))
            try again.register({ _, _, _ in TransportTestServer.text("again") }, method: .get, path: "/")
            try again.start()
            defer { again.stop() }
            #expect(again.port == port)
            #expect(try await offPool { try HTTPTestConnection.request("GET", "/", port: port) }.text == "again")
        }

        @Test("a host that is not an IP literal is rejected")
        func invalidHost() {
            let transport = MicroHTTPDTransport(configuration: .init(host: "example.com", port: 0))
            #expect(throws: TransportError.self) { try transport.start() }
        }

        @Test("routes cannot be registered twice or after start")
        func registration() throws {
            let transport = MicroHTTPDTransport(configuration: .init())
            let handler: TransportHandler = { _, _, _ in TransportTestServer.text("") }
            try transport.register(handler, method: .get, path: "/a/{x}")
            #expect(throws: TransportError.self) { try transport.register(handler, method: .get, path: "/a/{y}") }
            try transport.start()
            defer { transport.stop() }
            #expect(throws: TransportError.self) { try transport.register(handler, method: .post, path: "/b") }
        }

        @Test("the transport listens on an IPv6 literal and reports IPv6 peers")
        func ipv6() async throws {
            let transport = MicroHTTPDTransport(configuration: .init(host: "[::1]", port: 0))
            try transport.register({ _, _, _ in
                TransportTestServer.text(MicroHTTPDRequestContext.current?.remoteAddress ?? "none")
            }, method: .get, path: "/")
            try transport.start()
            defer { transport.stop() }
            let port = transport.port
            #expect(port > 0)
            #expect(try await offPool { try HTTPTestConnection.request("GET", "/", port: port, host: "::1") }.text == "::1")
        }

        @Test("an absolute-form request target is routed by its path")
        func absoluteForm() async throws {
            let server = try TransportTestServer()
            defer { server.stop() }
            let response = try await server.request("GET", "http://localhost/v1/sessions/abc")
            #expect(response.status == 200)
            #expect(response.text == "session abc")
        }
    }
}
