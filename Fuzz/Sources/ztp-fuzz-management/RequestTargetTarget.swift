import FuzzSupport
@testable import ZTPManagement

/// The request target and query parsing, then routing over the management API's own route
/// templates and the query helpers. Input: the request line's method and target as a client
/// sends them: "METHOD TARGET" (no method: GET).
///
/// libmicrohttpd hands the daemon the path up to "?" and the query split on "&" and at the
/// first "=", still percent-encoded; that split is reproduced here.
///
/// Invariants: a target either parses or is a 400; a parsed path has one segment per "/",
/// segments without "%" come through unchanged and each decoded segment survives being
/// encoded and decoded again; routing answers the handler's 200, a 404 or a 405 with `Allow`,
/// and a handler sees every `{name}` of its template filled, non-empty; the page helpers return
/// values in range or a 400 naming the parameter.
let requestTargetTarget = FuzzTarget(name: "request-target", seeds: {
    [
        "GET /v1/sessions?limit=10&offset=0", "DELETE /v1/sessions/abc%2Fdef/streams/7", "GET /v1/tokens?state=active&client_id=a%40b",
        "GET http://localhost:8080/v1/server", "GET *", "GET /v1/tokens/%E2%82%AC", "GET /v1/sessions?limit=1001",
        "GET /ui/", "GET /%", "GET /v1/tokens?limit=-1&limit=5&=x&flag", "POST /v1/tokens", "PUT /v1/roles",
        "GET /v1/sessions/?offset=2147483648", "GET /%00/x", "GET HTTPS://h", "GET /v1/audit?limit=%31%30",
    ].map { Array($0.utf8) }
}, run: { data in
    // The request line is a C string to libmicrohttpd: it ends at the first NUL.
    let line = data.prefix { $0 != 0 }
    let space = line.firstIndex(of: UInt8(ascii: " "))
    let method = space.map { String(decoding: line[..<$0], as: UTF8.self) } ?? "GET"
    let target = space.map { line[($0 + 1)...] } ?? line[...]
    let question = target.firstIndex(of: UInt8(ascii: "?"))
    let rawPath = String(decoding: target[..<(question ?? target.endIndex)], as: UTF8.self)
    var rawQuery: [(name: String, value: String?)] = []
    if let question {
        for argument in target[(question + 1)...].split(separator: UInt8(ascii: "&")) {
            let equals = argument.firstIndex(of: UInt8(ascii: "="))
            rawQuery.append((String(decoding: argument[..<(equals ?? argument.endIndex)], as: UTF8.self),
                             equals.map { String(decoding: argument[($0 + 1)...], as: UTF8.self) }))
        }
    }

    let request: HTTPRequest
    do throws(HTTPError) {
        request = try HTTPRequest(method: method, rawPath: rawPath, rawQuery: rawQuery, rawHeaders: [], body: [], remoteAddress: "")
    } catch {
        invariant(error.status == 400, "target refused with \(error.status)")
        return
    }

    let originPath = RequestTarget.originPath(rawPath)
    invariant(originPath != nil, "a target without an origin path parsed")
    let rawSegments = originPath!.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    invariant(request.pathSegments.count == rawSegments.count, "\(request.pathSegments.count) segments for \(rawSegments.count)")
    for (raw, decoded) in zip(rawSegments, request.pathSegments) {
        if !raw.contains("%") { invariant(decoded == raw, "segment '\(raw)' decoded to '\(decoded)'") }
        invariant(RequestTarget.decode(percentEncoded(decoded)) == decoded, "segment '\(decoded)' does not survive encoding")
    }
    invariant(request.path == "/" + request.pathSegments.joined(separator: "/"), "path and segments disagree")
    for (rawName, rawValue) in rawQuery where !rawName.contains("%") && !(rawValue ?? "").contains("%") {
        invariant(request.query[rawName] != nil, "query parameter '\(rawName)' lost")
    }

    let response = router.handle(request)
    switch response.status {
    case 200:
        invariant(response.route != nil && response.route != Router.unmatched, "a handler answered without a route")
        let template = response.route!
        let names = template.split(separator: "/").filter { $0.first == "{" }
        // Compared as bytes: a value starting with a combining mark joins the "=" before it into
        // one Character, so String.contains would miss "jti=" in "jti=\u{20EC}".
        for name in names where !name.hasSuffix("...}") {
            let key = Array("\(name.dropFirst().dropLast())=".utf8)
            invariant(response.body.firstRange(of: key) != nil, "\(template) handler lacks \(name)")
        }
    case 404:
        break
    case 405:
        invariant(response.headers["Allow"].map { !$0.isEmpty } ?? false, "405 without Allow")
    default:
        invariant(false, "routing answered \(response.status)")
    }

    do throws(HTTPError) {
        let (limit, offset) = try request.page
        invariant((1...1000).contains(limit) && (0...Int(Int32.max)).contains(offset), "page (\(limit), \(offset)) out of range")
    } catch {
        invariant(error.status == 400 && (error.detail.contains("'limit'") || error.detail.contains("'offset'")),
                  "page error \(error.status) \(error.detail)")
    }
    do throws(HTTPError) {
        let state = try request.choice("state", from: ["active", "expired", "revoked"], default: nil)
        invariant(state == nil || ["active", "expired", "revoked"].contains(state!), "state \(state!) accepted")
    } catch {
        invariant(error.status == 400 && error.detail.contains("'state'"), "state error \(error.detail)")
    }
})

/// The management API's route table, with handlers that only report what they captured.
private let router: Router = {
    var router = Router()
    let templates: [(String, String)] = [
        ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/openapi.yaml"), ("GET", "/"),
        ("GET", "/v1/server"), ("GET", "/v1/sessions"), ("GET", "/v1/sessions/{id}"), ("DELETE", "/v1/sessions/{id}"),
        ("DELETE", "/v1/sessions/{id}/streams/{stream_id}"), ("POST", "/v1/tokens"), ("GET", "/v1/tokens"),
        ("GET", "/v1/tokens/{jti}"), ("DELETE", "/v1/tokens/{jti}"), ("GET", "/v1/roles"), ("GET", "/v1/audit"),
        ("GET", "/ui/{path...}"),
    ]
    for (method, template) in templates {
        router.add(method, template) { request in
            for (name, value) in request.pathParameters where !template.contains("{\(name)...}") {
                invariant(!value.isEmpty, "\(template): empty {\(name)}")
            }
            let captured = request.pathParameters.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "&")
            return HTTPResponse(status: 200, body: Array(captured.utf8))
        }
    }
    return router
}()

private func percentEncoded(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for byte in text.utf8 {
        out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
    }
    return String(decoding: out, as: UTF8.self)
}
