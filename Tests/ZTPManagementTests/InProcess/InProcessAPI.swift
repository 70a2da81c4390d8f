import Foundation
import HTTPTypes
import Logging
import NIOPosix
import OpenAPIMicroHTTPD
import OpenAPIRuntime
import Prometheus
import Testing
import ZTPClient
import ZTPCore
import ZTPServer
import ZTPStore
@testable import ZTPManagement

/// The management API in this process: the generated handler layer with the real middlewares,
/// on a real ZTP listener (loopback, kernel-picked port) and an in-memory store. Requests go
/// straight to the registered handlers, without HTTP framing, so a test costs milliseconds; the
/// HTTP side is tested on its own (OpenAPIMicroHTTPDTests) and against the real process.
final class InProcessAPI: @unchecked Sendable {
    static let adminKey = "in-process-admin-key-0123456789"

    /// An answer: status, headers and the body parsed as JSON (or `.missing`).
    struct Answer {
        let status: Int
        let headers: HTTPFields
        let body: [UInt8]

        var json: ManagementAPIJSON { (try? ManagementAPIJSON(parsing: body)) ?? .missing }
        var problem: ManagementAPIJSON { json }
    }

    let transport = RecordingTransport()
    let listener: ZTPListener
    let store: Store
    let services: ServerServices
    let audit: AuditLog
    let requests = HTTPRequestTotal()
    let stats = StatsHistory()
    let ztpPort: Int

    init(configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configure(&configuration)
        let logger = Logger(label: "test.in-process")
        store = try Store.inMemory()
        let audit = AuditLog(store: store, logger: logger)
        self.audit = audit
        let secret = SecretBytes(randomCount: 32)
        services = ServerServices(configuration: configuration, identity: Ed25519.KeyPair(), tokenSecret: secret,
                                  logger: logger,
                                  onAuthenticationFailure: { remote, failure in
                                      audit.recordAuthenticationFailure(from: remote, reason: "\(failure.code.name)")
                                  })
        listener = ZTPListener(services: services, group: MultiThreadedEventLoopGroup.singleton)
        let address = try await listener.bind()
        ztpPort = address.port ?? 0
        let api = ManagementAPI(listener: listener, store: store,
                                issuer: TokenIssuer(secret: secret, store: store, policy: configuration.policy),
                                audit: audit, prometheus: PrometheusCollectorRegistry(), publicDirectory: nil,
                                httpListen: "in-process", openAPIPath: nil, stats: stats)
        try api.register(on: transport, adminKey: AdminKey(Self.adminKey), requests: requests, logger: logger)
    }

    func stop() async {
        await listener.shutdown()
    }

    /// Calls the operation registered for `method` and `template` as the transport would:
    /// `parameters` fill the template, errors become problem answers through `ProblemResponse`.
    func send(_ method: HTTPRequest.Method, _ template: String, parameters: [String: String] = [:], query: String? = nil,
              json body: String? = nil, contentType: String = "application/json", authorized: Bool = true) async throws -> Answer {
        let handler = try #require(transport.handler(method: method, template: template))
        var path = template
        for (name, value) in parameters { path = path.replacingOccurrences(of: "{\(name)}", with: value) }
        var fields = HTTPFields()
        if authorized { fields[.authorization] = "Bearer \(Self.adminKey)" }
        let bytes = body.map { Array($0.utf8) }
        if bytes != nil {
            fields[.contentType] = contentType
            fields[.contentLength] = "\(bytes!.count)"
        }
        let request = HTTPRequest(method: method, scheme: "http", authority: "in-process",
                                  path: path + (query.map { "?" + $0 } ?? ""), headerFields: fields)
        let context = MicroHTTPDRequestContext(remoteAddress: "192.0.2.7", routeTemplate: template, started: .now)
        do {
            let (response, responseBody) = try await MicroHTTPDRequestContext.$current.withValue(context) {
                try await handler(request, bytes.map { HTTPBody($0) }, ServerRequestMetadata(
                    pathParameters: parameters.mapValues { Substring($0) }))
            }
            var collected: [UInt8] = []
            if let responseBody { collected = try await [UInt8](collecting: responseBody, upTo: 16 << 20) }
            return Answer(status: response.status.code, headers: response.headerFields, body: collected)
        } catch {
            let problem = ProblemResponse.clientError(for: error, requestBody: bytes) ?? .internal()
            let (response, body) = ProblemResponse.response(for: problem)
            return Answer(status: response.status.code, headers: response.headerFields, body: body)
        }
    }

    /// Issues a token through the API; returns (jti, token).
    func issueToken(clientID: String, role: String = "user") async throws -> (jti: String, token: String) {
        let answer = try await send(.post, "/v1/tokens", json: #"{"client_id":"\#(clientID)","role":"\#(role)"}"#)
        #expect(answer.status == 201)
        return (try #require(answer.json["jti"].string), try #require(answer.json["token"].string))
    }

    /// A real ZTP client session to this listener.
    func connect(token: String) async throws -> ZTPClient {
        try await ZTPClient.connect(host: "127.0.0.1", port: ztpPort, token: token,
                                    trust: .pinned(services.identity.publicKey))
    }
}

/// Keeps what the generated `registerHandlers` registers, by method and path template.
final class RecordingTransport: ServerTransport, @unchecked Sendable {
    typealias Handler = @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    private let lock = NSLock()
    private var handlers: [String: Handler] = [:]

    func register(_ handler: @escaping Handler, method: HTTPRequest.Method, path: String) throws {
        lock.withLock { handlers["\(method.rawValue) \(path)"] = handler }
    }

    func handler(method: HTTPRequest.Method, template: String) -> Handler? {
        lock.withLock { handlers["\(method.rawValue) \(template)"] }
    }

    var templates: [String] { lock.withLock { handlers.keys.sorted() } }
}

/// Runs `body` with a fresh in-process API and stops its listener afterwards, also on failure.
func withInProcessAPI(configure: (inout ServerConfiguration) -> Void = { _ in },
                      _ body: (InProcessAPI) async throws -> Void) async throws {
    let api = try await InProcessAPI(configure: configure)
    do {
        try await body(api)
    } catch {
        await api.stop()
        throw error
    }
    await api.stop()
}
