import Foundation
import Logging
import Metrics
import NIOCore
import Prometheus
import ZTPCore
import ZTPServer
import ZTPStore

/// The management API's routes. Handlers read and change state only through the session
/// registry, the store and the revocation list, never by reaching into connections.
struct ManagementAPI: Sendable {
    let listener: ZTPListener
    let store: Store
    let issuer: TokenIssuer
    let audit: AuditLog
    let adminKey: AdminKey
    let prometheus: PrometheusCollectorRegistry
    let publicDirectory: String?
    let httpListen: String
    let openAPIPath: String?

    var services: ServerServices { listener.services }

    func router(logger: Logger) -> Router {
        var router = Router(logger: logger)
        router.get("/healthz") { _ in .json(StatusJSON(status: "ok")) }
        router.get("/readyz") { _ in try readiness() }
        router.get("/metrics") { _ in metrics() }
        router.get("/openapi.yaml") { _ in try openAPI() }
        if let publicDirectory {
            let files = StaticFiles(directory: publicDirectory)
            router.get("/") { _ in try files.response(for: "index.html") }
            for name in ["index.html", "app.css"] {
                router.get("/\(name)") { _ in try files.response(for: name) }
            }
            // The dashboard's script: native ES modules, one per view (Public/js/, js/views/).
            router.get("/js/{path...}", handler: StaticFiles(directory: publicDirectory + "/js").handler())
        }
        router.get("/v1/server", handler: authorized(serverInfo))
        router.get("/v1/sessions", handler: authorized(listSessions))
        router.get("/v1/sessions/{id}", handler: authorized(getSession))
        router.delete("/v1/sessions/{id}", handler: authorized(deleteSession))
        router.delete("/v1/sessions/{id}/streams/{stream_id}", handler: authorized(deleteStream))
        router.post("/v1/tokens", handler: authorized(issueToken))
        router.get("/v1/tokens", handler: authorized(listTokens))
        router.get("/v1/tokens/{jti}", handler: authorized(getToken))
        router.delete("/v1/tokens/{jti}", handler: authorized(revokeToken))
        router.get("/v1/roles", handler: authorized(roles))
        router.get("/v1/audit", handler: authorized(auditLog))
        return router
    }

    /// `/v1/*` needs `Authorization: Bearer ADMIN_KEY`, compared in constant time.
    private func authorized(_ handler: @escaping @Sendable (HTTPRequest) throws -> HTTPResponse) -> Router.Handler {
        let adminKey = self.adminKey
        return { request in
            guard adminKey.authorizes(request.header("authorization")) else {
                Counter(label: "ztp_http_auth_failures_total").increment()
                throw HTTPError.unauthorized("a valid admin key is required: Authorization: Bearer ADMIN_KEY")
            }
            return try handler(request)
        }
    }

    // MARK: Unauthenticated

    private func readiness() throws -> HTTPResponse {
        guard listener.isAccepting else {
            throw HTTPError(status: 503, detail: "the ZTP listener is not accepting connections")
        }
        // A constant-cost probe: this route needs no key, so it must not cost more as the store grows.
        guard (try? store.checkReadable()) != nil else {
            throw HTTPError(status: 503, detail: "the store is not available")
        }
        return .json(StatusJSON(status: "ready"))
    }

    private func metrics() -> HTTPResponse {
        var buffer: [UInt8] = []
        prometheus.emit(into: &buffer)
        buffer += Array(ProcessMetrics.text().utf8)
        return HTTPResponse(status: 200, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: buffer)
    }

    private func openAPI() throws -> HTTPResponse {
        guard let openAPIPath, let text = try? String(contentsOfFile: openAPIPath, encoding: .utf8) else {
            throw HTTPError.notFound("openapi.yaml is not installed next to this server")
        }
        return .text(text, contentType: "application/yaml")
    }

    // MARK: Server and roles

    private func serverInfo(_ request: HTTPRequest) throws -> HTTPResponse {
        let configuration = services.configuration
        let key = services.identity.publicKey
        let parameters = configuration.parameters
        let info = ServerInfoJSON(
            version: ZTPVersion.current, proto: "ZTP/1", startedAt: services.startedAt,
            uptimeSeconds: Int(Date().timeIntervalSince(services.startedAt)),
            ztpListen: listener.localAddress.map { Self.describe($0) } ?? "\(configuration.host):\(configuration.port)",
            httpListen: httpListen, serverPublicKey: key.lowercaseHex,
            fingerprint: "SHA256:" + Array(SHA256.hash(key).prefix(8)).lowercaseHex, sessions: services.registry.count,
            limits: .init(maxStreams: parameters.maxStreams, streamWindow: parameters.streamWindow,
                          streamIdleTimeout: parameters.streamIdleTimeout, heartbeatInterval: parameters.heartbeatInterval,
                          maxFrame: parameters.maxFrame, maxSessions: configuration.maxSessions,
                          handshakeTimeout: configuration.handshakeTimeout))
        return .json(info)
    }

    static func describe(_ address: NIOCore.SocketAddress) -> String {
        switch address {
        case .v6: return "[\(address.ipAddress ?? "::")]:\(address.port ?? 0)"
        default: return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
        }
    }

    private func roles(_ request: HTTPRequest) throws -> HTTPResponse {
        let roles = services.policy.roles.sorted { $0.key < $1.key }.map { name, role in
            RoleJSON(name: name, streams: role.streams.sorted(),
                     commands: ControlHandler.commands.filter { role.commands.contains($0) })
        }
        return .json(RolesJSON(roles: roles))
    }

    // MARK: Sessions

    private func listSessions(_ request: HTTPRequest) throws -> HTTPResponse {
        let (limit, offset) = try request.page
        let sort = try request.choice("sort", from: ["connected_at", "last_activity", "bytes_in", "bytes_out", "streams"],
                                      default: "connected_at")!
        let descending = try request.choice("order", from: ["asc", "desc"], default: "asc") == "desc"
        let clientID = request.query["client_id"]
        let role = request.query["role"]
        var snapshots = services.registry.allSessions().map(\.snapshot).filter { snapshot in
            (clientID == nil || snapshot.clientID == clientID) && (role == nil || snapshot.role == role)
        }
        snapshots.sort { a, b in
            let ordered: Bool
            switch sort {
            case "last_activity": ordered = (a.lastActivityAt, a.id) < (b.lastActivityAt, b.id)
            case "bytes_in": ordered = (a.statistics.bytesIn, a.id) < (b.statistics.bytesIn, b.id)
            case "bytes_out": ordered = (a.statistics.bytesOut, a.id) < (b.statistics.bytesOut, b.id)
            case "streams": ordered = (a.streams.count, a.id) < (b.streams.count, b.id)
            default: ordered = (a.connectedAt, a.id) < (b.connectedAt, b.id)
            }
            return descending ? !ordered : ordered
        }
        let page = snapshots.dropFirst(offset).prefix(limit).map { SessionJSON($0, withStreams: false) }
        return .json(SessionPageJSON(total: snapshots.count, offset: offset, limit: limit, sessions: Array(page)))
    }

    private func session(_ request: HTTPRequest) throws -> SessionHandle {
        let id = request.pathParameters["id"] ?? ""
        guard let handle = services.registry.session(id: id) else { throw HTTPError.notFound("no live session \(id)") }
        return handle
    }

    private func getSession(_ request: HTTPRequest) throws -> HTTPResponse {
        .json(SessionJSON(try session(request).snapshot, withStreams: true))
    }

    private func deleteSession(_ request: HTTPRequest) throws -> HTTPResponse {
        let handle = try session(request)
        guard (try? handle.close(code: .terminated, reason: "terminated by administrator").wait()) == true else {
            throw HTTPError.notFound("no live session \(handle.id)")
        }
        try audit.recordNow(actor: "admin-api", action: "session.terminated",
                            detail: "session=\(handle.id) client=\(handle.clientID) from \(request.remoteAddress)")
        return .noContent
    }

    private func deleteStream(_ request: HTTPRequest) throws -> HTTPResponse {
        let handle = try session(request)
        let text = request.pathParameters["stream_id"] ?? ""
        guard let stream = UInt32(text), stream >= 1, stream <= FrameType.maxStreamID else {
            throw HTTPError.badRequest("stream_id must be an integer from 1 to 2147483647")
        }
        guard (try? handle.closeStream(stream, code: .terminated, reason: "closed by administrator").wait()) == true else {
            throw HTTPError.notFound("stream \(stream) is not open in session \(handle.id)")
        }
        try audit.recordNow(actor: "admin-api", action: "stream.closed", detail: "session=\(handle.id) stream=\(stream)")
        return .noContent
    }

    // MARK: Tokens

    private func issueToken(_ request: HTTPRequest) throws -> HTTPResponse {
        let body: TokenRequestJSON = try request.decodeJSON()
        guard TokenClaims.isValidClientID(body.clientID) else {
            throw HTTPError.badRequest("client_id must match [A-Za-z0-9._@-]{1,64}")
        }
        guard services.policy.isKnown(role: body.role) else {
            throw HTTPError.badRequest("role must be one of: \(services.policy.roles.keys.sorted().joined(separator: ", "))")
        }
        let ttl = body.ttlSeconds ?? 3600
        guard TokenIssuer.ttlRange.contains(ttl) else {
            throw HTTPError.badRequest("ttl_seconds must be from 1 to 2592000 (30 days)")
        }
        let issued = try issuer.issue(clientID: body.clientID, role: body.role, ttl: ttl, actor: "admin-api")
        Counter(label: "ztp_tokens_issued_total").increment()
        return .json(TokenJSON(issued.record, token: issued.token), status: 201)
    }

    private func listTokens(_ request: HTTPRequest) throws -> HTTPResponse {
        let (limit, offset) = try request.page
        let state = try request.choice("state", from: TokenState.allCases.map(\.rawValue), default: nil).flatMap(TokenState.init)
        let now = Date()
        let page = try store.tokens(clientID: request.query["client_id"], state: state, now: now, limit: limit, offset: offset)
        return .json(TokenPageJSON(total: page.total, offset: offset, limit: limit,
                                   tokens: page.items.map { TokenJSON($0, now: now) }))
    }

    private func getToken(_ request: HTTPRequest) throws -> HTTPResponse {
        let jti = request.pathParameters["jti"] ?? ""
        guard let record = try store.token(jti: jti) else { throw HTTPError.notFound("no token \(jti)") }
        return .json(TokenJSON(record, now: Date()))
    }

    /// Durable first, then the in-memory set, then live sessions: a token revoked here can
    /// neither start nor keep a session, even across a crash right after the answer.
    private func revokeToken(_ request: HTTPRequest) throws -> HTTPResponse {
        let jti = request.pathParameters["jti"] ?? ""
        switch try store.revoke(jti: jti, at: Date()) {
        case .unknown:
            throw HTTPError.notFound("no token \(jti)")
        case .alreadyRevoked:
            throw HTTPError.conflict("token \(jti) is already revoked")
        case .revoked:
            services.revocations.insert(jti)
            let sessions = services.registry.sessions(tokenID: jti)
            for session in sessions {
                _ = try? session.close(code: .tokenRevoked, reason: "token revoked").wait()
            }
            Counter(label: "ztp_tokens_revoked_total").increment()
            try audit.recordNow(actor: "admin-api", action: "token.revoked",
                                detail: "jti=\(jti) sessions_closed=\(sessions.count)")
            return .noContent
        }
    }

    // MARK: Audit

    private func auditLog(_ request: HTTPRequest) throws -> HTTPResponse {
        let (limit, offset) = try request.page
        let page = try store.audit(limit: limit, offset: offset)
        return .json(AuditPageJSON(total: page.total, offset: offset, limit: limit, events: page.items.map(AuditEventJSON.init)))
    }
}

/// The server's version string.
public enum ZTPVersion {
    public static let current = "0.1.0"
}
