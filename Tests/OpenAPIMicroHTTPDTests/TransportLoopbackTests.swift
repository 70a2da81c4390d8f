import Foundation
import Testing
@testable import ZTPManagement

/// End-to-end tests: a real daemon on 127.0.0.1 (port 0), raw loopback sockets as the client.
@Suite("HTTPDaemon over loopback")
struct HTTPDaemonTests {
    @Test("a GET route receives decoded path parameters, query and the peer address")
    func pathParametersAndQuery() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let response = try server.request("GET", "/v1/sessions/s%201/streams/a%2Fb?q=x%26y+z&q=second&flag")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        let json = try JSONDecoder().decode([String: String].self, from: Data(response.body))
        #expect(json == ["id": "s 1", "stream_id": "a/b", "q": "x&y z", "remote": "127.0.0.1"])
    }

    @Test("an unknown path answers a 404 problem+json")
    func notFound() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let response = try server.request("GET", "/v2/nothing")
        #expect(response.status == 404)
        #expect(response.headers["content-type"] == "application/problem+json")
        #expect(response.problem?.title == "Not Found")
        #expect(response.problem?.type == "about:blank")
        #expect(response.problem?.status == 404)
    }

    @Test("a path served under other methods answers 405 with Allow listing them")
    func methodNotAllowed() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let response = try server.request("PUT", "/v1/sessions/abc")
        #expect(response.status == 405)
        #expect(response.headers["allow"] == "DELETE, GET, HEAD")
        #expect(response.headers["content-type"] == "application/problem+json")
        #expect(response.problem?.status == 405)
        let post = try server.request("GET", "/v1/echo")
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "POST")
    }

    @Test("a Content-Length over the limit answers 413 before any body is sent")
    func contentLengthTooLarge() throws {
        let server = try HTTPTestServer(bodyLimit: 1024)
        defer { server.stop() }
        let connection = try HTTPTestConnection(port: server.port)
        connection.write(
            "POST /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000000\r\n\r\n"
        )
        let response = try HTTPTestResponse(parsing: connection.receiveUntilClosed())
        #expect(response.status == 413)
        #expect(response.headers["content-type"] == "application/problem+json")
        #expect(response.problem?.detail == "request body is larger than 1024 bytes")
        #expect(server.observations.all == [.init(method: "POST", route: "/v1/upload", status: 413)])
    }

    @Test("a chunked upload that grows past the limit answers 413")
    func chunkedTooLarge() throws {
        let server = try HTTPTestServer(bodyLimit: 1024)
        defer { server.stop() }
        let connection = try HTTPTestConnection(port: server.port)
        connection.write(
            "POST /v1/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        let chunk = "200\r\n" + String(repeating: "a", count: 0x200) + "\r\n"
        for _ in 0..<8 where connection.write(chunk) {}
        connection.write("0\r\n\r\n")
        let response = try HTTPTestResponse(parsing: connection.receiveUntilClosed())
        #expect(response.status == 413)
        #expect(response.problem?.status == 413)
        #expect(server.observations.all == [.init(method: "POST", route: "/v1/upload", status: 413)])
    }

    @Test("a chunked upload that never ends is cut off once far past the limit")
    func endlessUpload() throws {
        let server = try HTTPTestServer(bodyLimit: 1024)
        defer { server.stop() }
        let connection = try HTTPTestConnection(port: server.port)
        connection.write("POST /v1/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        let chunk = Array(("10000\r\n" + String(repeating: "z", count: 0x10000) + "\r\n").utf8)
        var sent = 0
        while sent < 4 * RequestBody.discardAllowance, connection.write(chunk) {
            sent += chunk.count
        }
        // The server reads (and drops) the allowance past the limit before it closes.
        #expect(sent > RequestBody.discardAllowance)
        #expect(sent < 4 * RequestBody.discardAllowance)
        #expect(connection.receiveUntilClosed().isEmpty)
        #expect(server.observations.all.isEmpty)
    }

    @Test("a request aborted mid-body frees its context")
    func abortedRequestFreed() throws {
        let server = try HTTPTestServer(bodyLimit: 1024)
        defer { server.stop() }
        do {
            let connection = try HTTPTestConnection(port: server.port)
            connection.write("POST /v1/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
            try waitUntil { server.daemon.openRequestCount == 1 }
        }
        try waitUntil { server.daemon.openRequestCount == 0 }
        #expect(server.observations.all.isEmpty)
    }

    @Test("a chunked upload within the limit reaches the handler whole")
    func chunkedWithinLimit() throws {
        let server = try HTTPTestServer(bodyLimit: 1024)
        defer { server.stop() }
        let connection = try HTTPTestConnection(port: server.port)
        connection.write("POST /v1/upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n")
        connection.write("200\r\n" + String(repeating: "a", count: 0x200) + "\r\n")
        connection.write("200\r\n" + String(repeating: "b", count: 0x200) + "\r\n0\r\n\r\n")
        let response = try HTTPTestResponse(parsing: connection.receiveUntilClosed())
        #expect(response.status == 200)
        #expect(response.text == "1024")
    }

    @Test("a JSON route answers 415 for another Content-Type and accepts a charset parameter")
    func unsupportedMediaType() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let body = Array(#"{"name":"a","count":1}"#.utf8)
        let text = try server.request("POST", "/v1/echo", headers: ["Content-Type": "text/plain"], body: body)
        #expect(text.status == 415)
        #expect(text.problem?.title == "Unsupported Media Type")
        let json = try server.request(
            "POST", "/v1/echo", headers: ["Content-Type": "application/json; charset=utf-8"], body: body
        )
        #expect(json.status == 201)
        #expect(json.text == #"{"count":1,"name":"a"}"#)
    }

    @Test("bad JSON answers 400, naming the field when the type is wrong")
    func badJSON() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let headers = ["Content-Type": "application/json"]
        let broken = try server.request("POST", "/v1/echo", headers: headers, body: Array("{nope".utf8))
        #expect(broken.status == 400)
        #expect(broken.problem?.detail == "the request body is not valid JSON")
        let wrongType = try server.request(
            "POST", "/v1/echo", headers: headers, body: Array(#"{"name":"a","count":"one"}"#.utf8)
        )
        #expect(wrongType.status == 400)
        #expect(wrongType.problem?.detail == "field 'count' must be an integer")
    }

    @Test("HEAD is served by the GET route, with its headers and no body")
    func head() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let get = try server.request("GET", "/v1/sessions/abc")
        let head = try server.request("HEAD", "/v1/sessions/abc")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.headers["content-type"] == get.headers["content-type"])
        #expect(head.headers["content-length"] == "\(get.body.count)")
        #expect(server.observations.all.last == .init(method: "HEAD", route: "/v1/sessions/{id}", status: 200))
    }

    @Test("a thrown non-HTTP error becomes a 500 problem that hides the error's text")
    func internalError() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let response = try server.request("GET", "/v1/fail")
        #expect(response.status == 500)
        #expect(response.problem?.detail == "internal server error")
        #expect(!response.text.contains("secret"))
    }

    @Test("a thrown 401 carries WWW-Authenticate: Bearer")
    func unauthorized() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let response = try server.request("GET", "/v1/private")
        #expect(response.status == 401)
        #expect(response.headers["www-authenticate"] == "Bearer")
        #expect(response.problem?.detail == "a bearer token is required")
    }

    @Test("static files are served with their content type, and '..' is refused")
    func staticFiles() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let script = try server.request("GET", "/ui/js/app.js")
        #expect(script.status == 200)
        #expect(script.headers["content-type"] == "text/javascript; charset=utf-8")
        #expect(script.text == "let x = 1;")
        let index = try server.request("GET", "/ui/")
        #expect(index.status == 200)
        #expect(index.headers["content-type"] == "text/html; charset=utf-8")
        #expect(try server.request("GET", "/ui/missing.css").status == 404)
        for escape in ["/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/js/..%2F..%2Fsecret.txt"] {
            let response = try server.request("GET", escape)
            #expect(response.status == 400, "\(escape)")
            #expect(!response.text.contains("top secret"))
        }
        #expect(try server.request("GET", "/ui/index.html%00.png").status == 400)
    }

    @Test("malformed percent-encoding in the path or query answers 400")
    func malformedPercentEncoding() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        #expect(try server.request("GET", "/v1/sessions/%zz").status == 400)
        #expect(try server.request("GET", "/v1/sessions/%C3").status == 400)
        #expect(try server.request("GET", "/v1/sessions/a?q=%4").status == 400)
    }

    @Test("the observer receives the route template, not the concrete path")
    func observerLabels() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        _ = try server.request("GET", "/v1/sessions/one/streams/two")
        _ = try server.request("DELETE", "/v1/sessions/three")
        _ = try server.request("GET", "/nowhere/at/all")
        _ = try server.request("PATCH", "/v1/sessions/four")
        #expect(server.observations.all == [
            .init(method: "GET", route: "/v1/sessions/{id}/streams/{stream_id}", status: 200),
            .init(method: "DELETE", route: "/v1/sessions/{id}", status: 204),
            .init(method: "GET", route: "unmatched", status: 404),
            .init(method: "PATCH", route: "/v1/sessions/{id}", status: 405),
        ])
    }

    @Test("stop closes the listening socket, frees the port and is idempotent")
    func stopFreesPort() throws {
        let server = try HTTPTestServer()
        let port = server.port
        #expect(try server.request("GET", "/v1/sessions/a").status == 200)
        server.stop()
        server.stop()
        #expect(throws: HTTPTestConnection.Failure.self) { try HTTPTestConnection(port: port) }
        let again = try HTTPDaemon(configuration: .init(host: "127.0.0.1", port: port)) { _ in .text("again") }
        defer { again.stop() }
        #expect(again.port == port)
        #expect(try HTTPTestConnection.request("GET", "/", port: port).text == "again")
    }

    @Test("a host that is not an IP literal is rejected")
    func invalidHost() {
        #expect(throws: HTTPDaemonError.self) {
            try HTTPDaemon(configuration: .init(host: "example.com", port: 0)) { _ in .noContent }
        }
    }

    @Test("the daemon listens on an IPv6 literal and reports IPv6 peers")
    func ipv6() throws {
        let daemon = try HTTPDaemon(configuration: .init(host: "[::1]", port: 0)) { request in
            .text(request.remoteAddress)
        }
        defer { daemon.stop() }
        #expect(daemon.port > 0)
        #expect(try HTTPTestConnection.request("GET", "/", port: daemon.port, host: "::1").text == "::1")
    }

    @Test("an absolute-form request target is routed by its path")
    func absoluteForm() throws {
        let server = try HTTPTestServer()
        defer { server.stop() }
        let response = try server.request("GET", "http://localhost/v1/sessions/abc")
        #expect(response.status == 200)
        #expect(response.text == "session abc")
    }

    /// Polls `condition` for up to five seconds: the daemon frees contexts on its own thread.
    private func waitUntil(_ condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                throw HTTPTestConnection.Failure(description: "condition not met within 5 s")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }
}
