import Testing
@testable import ZTPManagement

/// The router on its own: matching, precedence, 404/405 and route labels.
@Suite("Router")
struct HTTPRouterTests {
    private func router() -> Router {
        var router = Router()
        router.get("/v1/sessions") { _ in .text("list") }
        router.get("/v1/sessions/active") { _ in .text("active") }
        router.get("/v1/sessions/{id}") { request in .text("one \(request.pathParameters["id"]!)") }
        router.delete("/v1/sessions/{id}") { _ in .noContent }
        router.get("/v1/sessions/{id}/streams/{stream_id}") { request in
            .text("\(request.pathParameters["id"]!)/\(request.pathParameters["stream_id"]!)")
        }
        router.get("/ui") { _ in .text("ui root") }
        router.get("/ui/{path...}") { request in .text("file \(request.pathParameters["path"]!)") }
        return router
    }

    private func text(_ response: HTTPResponse) -> String {
        String(decoding: response.body, as: UTF8.self)
    }

    @Test("path parameters are captured by name")
    func parameters() {
        let response = router().handle(HTTPRequest(method: "GET", path: "/v1/sessions/abc/streams/7"))
        #expect(text(response) == "abc/7")
        #expect(response.route == "/v1/sessions/{id}/streams/{stream_id}")
    }

    @Test("a literal segment beats a parameter, and an exact template beats a remainder")
    func precedence() {
        let router = router()
        #expect(text(router.handle(HTTPRequest(method: "GET", path: "/v1/sessions/active"))) == "active")
        #expect(text(router.handle(HTTPRequest(method: "GET", path: "/v1/sessions/other"))) == "one other")
        #expect(text(router.handle(HTTPRequest(method: "GET", path: "/ui"))) == "ui root")
        #expect(text(router.handle(HTTPRequest(method: "GET", path: "/ui/"))) == "file ")
        #expect(text(router.handle(HTTPRequest(method: "GET", path: "/ui/a/b.js"))) == "file a/b.js")
    }

    @Test("a parameter never matches an empty segment, and trailing slashes are distinct paths")
    func emptySegments() {
        let router = router()
        #expect(router.handle(HTTPRequest(method: "GET", path: "/v1/sessions//streams/1")).status == 404)
        #expect(router.handle(HTTPRequest(method: "GET", path: "/v1/sessions/")).status == 404)
    }

    @Test("405 lists every method of the matching templates, with HEAD beside GET")
    func methodNotAllowed() {
        let response = router().handle(HTTPRequest(method: "POST", path: "/v1/sessions/abc"))
        #expect(response.status == 405)
        #expect(response.header("Allow") == "DELETE, GET, HEAD")
        #expect(response.route == "/v1/sessions/{id}")
        #expect(response.header("Content-Type") == "application/problem+json")
    }

    @Test("404 is labelled unmatched")
    func notFound() {
        let response = router().handle(HTTPRequest(method: "GET", path: "/v2"))
        #expect(response.status == 404)
        #expect(response.route == "unmatched")
        #expect(router().routeLabel(for: HTTPRequest(method: "GET", path: "/v2")) == "unmatched")
    }

    @Test("HEAD resolves to the GET route")
    func head() {
        let response = router().handle(HTTPRequest(method: "HEAD", path: "/v1/sessions/x"))
        #expect(response.status == 200)
        #expect(response.route == "/v1/sessions/{id}")
    }

    @Test("methods are case-sensitive")
    func caseSensitiveMethods() {
        #expect(router().handle(HTTPRequest(method: "get", path: "/v1/sessions")).status == 405)
    }

    @Test("thrown HTTPErrors keep their status and headers; other errors become a generic 500")
    func thrownErrors() {
        struct Leaky: Error {}
        var router = Router()
        router.get("/conflict") { _ in throw HTTPError.conflict("already there") }
        router.get("/leak") { _ in throw Leaky() }
        let conflict = router.handle(HTTPRequest(method: "GET", path: "/conflict"))
        #expect(conflict.status == 409)
        #expect(conflict.route == "/conflict")
        let leak = router.handle(HTTPRequest(method: "GET", path: "/leak"))
        #expect(leak.status == 500)
        #expect(text(leak) == #"{"detail":"internal server error","status":500,"title":"Internal Server Error","type":"about:blank"}"#)
    }

    @Test("route templates parse literals, parameters and a trailing remainder")
    func patterns() {
        let pattern = RoutePattern("/v1/{a}/x/{rest...}")
        #expect(pattern.segments == [.literal("v1"), .parameter("a"), .literal("x"), .remainder("rest")])
        #expect(pattern.match(["v1", "1", "x"]) == ["a": "1", "rest": ""])
        #expect(pattern.match(["v1", "1", "x", "p", "q"]) == ["a": "1", "rest": "p/q"])
        #expect(pattern.match(["v1", "1", "y"]) == nil)
        #expect(RoutePattern("/").match([""]) == [:])
        #expect(RoutePattern("/a/{x}").hasSameShape(as: RoutePattern("/a/{y}")))
    }
}
