import Testing
@testable import OpenAPIMicroHTTPD

/// Percent-decoding of the request target.
@Suite("RequestTarget")
struct RequestTargetTests {
    @Test("escapes decode to UTF-8, in either case of hex digit")
    func decodes() {
        #expect(RequestTarget.decode("a%20b%2fc%2F") == "a b/c/")
        #expect(RequestTarget.decode("%C3%A9t%c3%a9") == "été")
        #expect(RequestTarget.decode("plain+text") == "plain+text")
        #expect(RequestTarget.decode("nul%00byte") == "nul\0byte")
    }

    @Test("malformed escapes and non-UTF-8 results are rejected")
    func rejects() {
        #expect(RequestTarget.decode("%") == nil)
        #expect(RequestTarget.decode("%4") == nil)
        #expect(RequestTarget.decode("%zz") == nil)
        #expect(RequestTarget.decode("%FF") == nil)
    }

    @Test("origin-form and absolute-form targets give the path; other forms give nil")
    func originPath() {
        #expect(RequestTarget.originPath("/a?b") == "/a?b")
        #expect(RequestTarget.originPath("http://example.com/a/b") == "/a/b")
        #expect(RequestTarget.originPath("HTTPS://example.com") == "/")
        #expect(RequestTarget.originPath("*") == nil)
        #expect(RequestTarget.originPath("example.com:443") == nil)
    }

    @Test("paths are split before decoding, so an encoded slash stays in its segment")
    func segments() {
        #expect(RequestTarget.pathSegments("/a%2Fb/c") == ["a/b", "c"])
        #expect(RequestTarget.pathSegments("/") == [""])
        #expect(RequestTarget.pathSegments("/a/") == ["a", ""])
        #expect(RequestTarget.pathSegments("a/b") == nil)
        #expect(RequestTarget.pathSegments("*") == nil)
    }

    @Test("the query is rebuilt still encoded, a bare name with an empty value")
    func query() {
        #expect(RequestTarget.query([("a", "1%202"), ("flag", nil), ("b", "")]) == "a=1%202&flag=&b=")
        #expect(RequestTarget.query([]) == "")
    }

    @Test("what a query may not hold is encoded on the way, what is encoded already is left alone")
    func queryEscapes() {
        #expect(RequestTarget.query([("li#mit", "5"), ("a", "x#y z")]) == "li%23mit=5&a=x%23y%20z")
        #expect(RequestTarget.query([("q", "\u{20AC}[1]\"")]) == "q=%E2%82%AC%5B1%5D%22")
        #expect(RequestTarget.query([("a", "1%202+3,4:5@6/7?8=9")]) == "a=1%202+3,4:5@6/7?8=9")
    }
}
