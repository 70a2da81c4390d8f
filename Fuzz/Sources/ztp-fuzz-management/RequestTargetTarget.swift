import Dispatch
import Foundation
import FuzzSupport
import HTTPTypes
import Logging
import NIOPosix
import OpenAPIRuntime
import Prometheus
import ZTPCore
import ZTPServer
import ZTPStore
@testable import OpenAPIMicroHTTPD
@testable import ZTPManagement

/// The request target and query parsing, routing over the route table the generated code
/// registers, and then the operation itself through the generated layer and the real
/// middlewares (an in-memory store, a listener that is never bound). Input: the request line's
/// method and target as a client sends them: "METHOD TARGET" (no method: GET).
///
/// libmicrohttpd hands the transport the path up to "?" and the query split on "&" and at the
/// first "=", still percent-encoded; that split is reproduced here.
///
/// Invariants: a target either parses or is a 400; a parsed path has one segment per "/",
/// segments without "%" come through unchanged and each decoded segment survives being
/// encoded and decoded again; routing finds an operation, a 404 or a 405 with methods to
/// allow, and every `{name}` of the matched template is filled, non-empty; the operation
/// answers, and any 4xx is a problem whose detail names no internals; nothing is a 500.
let requestTargetTarget = FuzzTarget(name: "request-target", seeds: {
    [
        "GET /v1/sessions?limit=10&offset=0", "DELETE /v1/sessions/abc%2Fdef/streams/7", "GET /v1/tokens?state=active&client_id=a%40b",
        "GET http://localhost:8080/v1/server", "GET *", "GET /v1/tokens/%E2%82%AC", "GET /v1/sessions?limit=1001",
        "GET /js/views/sessions.js", "GET /vendor/..%2Fx", "GET /%", "GET /v1/tokens?limit=-1&limit=5&=x&flag", "POST /v1/tokens", "PUT /v1/roles",
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

    guard let path = RequestTarget.originPath(rawPath), let segments = RequestTarget.pathSegments(path) else {
        return
    }
    let rawSegments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
    invariant(segments.count == rawSegments.count, "\(segments.count) segments for \(rawSegments.count)")
    for (raw, decoded) in zip(rawSegments, segments) {
        if !raw.contains("%") { invariant(decoded == raw, "segment '\(raw)' decoded to '\(decoded)'") }
        invariant(RequestTarget.decode(percentEncoded(decoded)) == decoded, "segment '\(decoded)' does not survive encoding")
    }
    guard rawQuery.allSatisfy({ RequestTarget.decode($0.name) != nil && RequestTarget.decode($0.value ?? "") != nil }) else {
        return
    }

    switch routes.resolve(method: method, path: segments) {
    case .notFound:
        return
    case let .methodNotAllowed(_, allowed):
        invariant(!allowed.isEmpty, "405 without methods to allow")
    case let .matched(route, parameters):
        let names = route.pattern.template.split(separator: "/").filter { $0.first == "{" }
        for name in names {
            let value = parameters[String(name.dropFirst().dropLast())]
            invariant(value.map { !$0.isEmpty } ?? false, "\(route.pattern.template): {\(name)} empty or missing")
        }
        guard let httpMethod = HTTPRequest.Method(method) else { return }
        let query = RequestTarget.query(rawQuery)
        var fields = HTTPFields()
        fields[.authorization] = "Bearer \(adminKey)"
        let request = HTTPRequest(method: httpMethod, scheme: "http", authority: "fuzz",
                                  path: String(path) + (query.isEmpty ? "" : "?" + query), headerFields: fields)
        let status = answer(route.handler, request, ServerRequestMetadata(pathParameters: parameters))
        invariant(status < 500 || status == 503, "\(method) \(route.pattern.template) answered \(status)")
    }
})

/// Runs a handler to completion from the fuzzer's synchronous callback; its status, errors
/// mapped as the transport maps them.
private func answer(_ handler: @escaping RouteTable.Handler, _ request: HTTPRequest, _ metadata: ServerRequestMetadata) -> Int {
    let status = Locked(0)
    let done = DispatchSemaphore(value: 0)
    Task {
        let code: Int
        do {
            code = try await handler(request, nil, metadata).0.status.code
        } catch {
            let problem = ProblemResponse.clientError(for: error)
            if let problem {
                invariant(!problem.detail.contains("/work/") && !problem.detail.contains("SQL"), "internals in: \(problem.detail)")
            }
            code = problem?.status ?? 500
        }
        status.withLock { $0 = code }
        done.signal()
    }
    done.wait()
    return status.withLock { $0 }
}

private let adminKey = "fuzz-admin-key"

/// The route table as the generated code registers it, with the real operations behind it.
private let routes: RouteTable = {
    let transport = TableTransport()
    let store = try! Store.inMemory()
    var logger = Logger(label: "fuzz")
    logger.logLevel = .critical
    let secret = SecretBytes(randomCount: 32)
    let services = ServerServices(configuration: ServerConfiguration(), identity: Ed25519.KeyPair(), tokenSecret: secret,
                                  logger: logger)
    let api = ManagementAPI(
        listener: ZTPListener(services: services, group: MultiThreadedEventLoopGroup.singleton), store: store,
        issuer: TokenIssuer(secret: secret, store: store, policy: .default), audit: AuditLog(store: store, logger: logger),
        prometheus: PrometheusCollectorRegistry(), publicDirectory: nil, httpListen: "fuzz", openAPIPath: nil,
        stats: StatsHistory())
    try! api.register(on: transport, adminKey: AdminKey(adminKey), requests: HTTPRequestTotal(), logger: logger)
    return transport.table.withLock { $0 }
}()

/// A transport that only keeps what is registered.
private final class TableTransport: ServerTransport, @unchecked Sendable {
    let table = Locked(RouteTable())

    func register(_ handler: @escaping RouteTable.Handler, method: HTTPRequest.Method, path: String) throws {
        try table.withLock { try $0.add(method: method, template: path, handler: handler) }
    }
}

private func percentEncoded(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for byte in text.utf8 {
        out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
    }
    return String(decoding: out, as: UTF8.self)
}
