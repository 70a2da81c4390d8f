import HTTPTypes
import OpenAPIRuntime
import Testing
@testable import OpenAPIMicroHTTPD

/// The route table on its own: matching, precedence, 404/405 and route templates.
@Suite("RouteTable")
struct RouteTableTests {
    private func table() throws -> RouteTable {
        let handler: RouteTable.Handler = { _, _, _ in (HTTPResponse(status: .ok), nil) }
        var table = RouteTable()
        try table.add(method: .get, template: "/v1/sessions", handler: handler)
        try table.add(method: .get, template: "/v1/sessions/active", handler: handler)
        try table.add(method: .get, template: "/v1/sessions/{id}", handler: handler)
        try table.add(method: .delete, template: "/v1/sessions/{id}", handler: handler)
        try table.add(method: .get, template: "/v1/sessions/{id}/streams/{stream_id}", handler: handler)
        try table.add(method: .post, template: "/v1/tokens/{id}/revoke", handler: handler)
        try table.add(method: .get, template: "/v1/tokens/{id}", handler: handler)
        return table
    }

    /// The template that serves `method path`, or "404" / "405 <Allow>".
    private func resolve(_ method: String, _ path: String, in table: RouteTable) -> String {
        switch table.resolve(method: method, path: RequestTarget.pathSegments(path)!) {
        case let .matched(route, _): route.pattern.template
        case let .methodNotAllowed(_, allowed): "405 " + allowed.joined(separator: ", ")
        case .notFound: "404"
        }
    }

    @Test("path parameters are captured by name")
    func parameters() throws {
        guard case let .matched(route, parameters) = try table().resolve(method: "GET", path: ["v1", "sessions", "abc", "streams", "7"]) else {
            Issue.record("no match")
            return
        }
        #expect(route.pattern.template == "/v1/sessions/{id}/streams/{stream_id}")
        #expect(parameters == ["id": "abc", "stream_id": "7"])
    }

    @Test("a literal segment beats a parameter, whatever the order of registration")
    func precedence() throws {
        let table = try table()
        #expect(resolve("GET", "/v1/sessions/active", in: table) == "/v1/sessions/active")
        #expect(resolve("GET", "/v1/sessions/other", in: table) == "/v1/sessions/{id}")
        #expect(resolve("GET", "/v1/sessions", in: table) == "/v1/sessions")
        let handler: RouteTable.Handler = { _, _, _ in (HTTPResponse(status: .ok), nil) }
        var reversed = RouteTable()
        try reversed.add(method: .get, template: "/a/{x}", handler: handler)
        try reversed.add(method: .get, template: "/a/b", handler: handler)
        #expect(resolve("GET", "/a/b", in: reversed) == "/a/b")
        #expect(resolve("GET", "/a/c", in: reversed) == "/a/{x}")
    }

    @Test("a parameter never matches an empty segment, and trailing slashes are distinct paths")
    func emptySegments() throws {
        let table = try table()
        #expect(resolve("GET", "/v1/sessions//streams/1", in: table) == "404")
        #expect(resolve("GET", "/v1/sessions/", in: table) == "404")
        #expect(resolve("GET", "/v1/sessions/a/", in: table) == "404")
    }

    @Test("405 lists every method of the matching templates, with HEAD beside GET, and names the template")
    func methodNotAllowed() throws {
        let table = try table()
        #expect(resolve("POST", "/v1/sessions/abc", in: table) == "405 DELETE, GET, HEAD")
        #expect(resolve("GET", "/v1/tokens/abc/revoke", in: table) == "405 POST")
        guard case let .methodNotAllowed(template, _) = table.resolve(method: "PUT", path: ["v1", "sessions", "x"]) else {
            Issue.record("not a 405")
            return
        }
        #expect(template == "/v1/sessions/{id}")
    }

    @Test("an unknown path is not found")
    func notFound() throws {
        #expect(resolve("GET", "/v2", in: try table()) == "404")
        #expect(resolve("GET", "/", in: try table()) == "404")
    }

    @Test("HEAD resolves to the GET route, unless a HEAD route of its own exists")
    func head() throws {
        var table = try table()
        #expect(resolve("HEAD", "/v1/sessions/x", in: table) == "/v1/sessions/{id}")
        try table.add(method: .head, template: "/v1/sessions/{other}", handler: { _, _, _ in (HTTPResponse(status: .noContent), nil) })
        guard case let .matched(route, _) = table.resolve(method: "HEAD", path: ["v1", "sessions", "x"]) else {
            Issue.record("no match")
            return
        }
        #expect(route.method == .head)
    }

    @Test("methods are case-sensitive")
    func caseSensitiveMethods() throws {
        #expect(resolve("get", "/v1/sessions", in: try table()) == "405 GET, HEAD")
    }

    @Test("the same method and shape twice is refused")
    func duplicates() throws {
        var table = try table()
        #expect(throws: TransportError.self) {
            try table.add(method: .get, template: "/v1/sessions/{other}", handler: { _, _, _ in (HTTPResponse(status: .ok), nil) })
        }
    }

    @Test("route templates parse literals and parameters; a literal outranks a parameter")
    func patterns() {
        let pattern = RoutePattern("/v1/{a}/x/{b}")
        #expect(pattern.segments == [.literal("v1"), .parameter("a"), .literal("x"), .parameter("b")])
        #expect(pattern.match(["v1", "1", "x", "2"]) == ["a": "1", "b": "2"])
        #expect(pattern.match(["v1", "1", "x"]) == nil)
        #expect(pattern.match(["v1", "1", "x", ""]) == nil, "a parameter is never empty")
        #expect(pattern.match(["v1", "1", "y", "2"]) == nil)
        #expect(RoutePattern("/").match([""]) == [:])
        #expect(RoutePattern("/a/{x}").hasSameShape(as: RoutePattern("/a/{y}")))
        #expect(RoutePattern("/v1/sessions/active").isMoreSpecific(than: RoutePattern("/v1/sessions/{id}")))
        #expect(!RoutePattern("/v1/sessions/{id}").isMoreSpecific(than: RoutePattern("/v1/sessions/active")))
    }

    @Test("parameters for the handler are taken from the still-encoded segments")
    func encodedParameters() {
        let pattern = RoutePattern("/v1/{a}/x/{b}")
        #expect(pattern.encodedParameters(["v1", "a%2Fb", "x", "p%20"]) == ["a": "a%2Fb", "b": "p%20"])
        #expect(RoutePattern("/s/{id}").encodedParameters(["s", "100%2525"]) == ["id": "100%2525"])
    }
}
