import Foundation
import Metrics
import NIOCore
import OpenAPIMicroHTTPD
import ZTPCore
import ZTPServer
import ZTPStore

/// Issuing, listing and revoking client tokens.
extension ManagementAPI {
    func issueToken(_ input: Operations.IssueToken.Input) async throws -> Operations.IssueToken.Output {
        guard case .json(let body) = input.body else { throw HTTPError.unsupportedMediaType("Content-Type must be application/json") }
        guard TokenClaims.isValidClientID(body.clientId) else {
            throw HTTPError.badRequest("client_id must match [A-Za-z0-9._@-]{1,64}")
        }
        guard services.policy.isKnown(role: body.role) else {
            throw HTTPError.badRequest("role must be one of: \(services.policy.roles.keys.sorted().joined(separator: ", "))")
        }
        let ttl = body.ttlSeconds ?? 3600
        guard TokenIssuer.ttlRange.contains(ttl) else {
            throw HTTPError.badRequest("ttl_seconds must be from 1 to 2592000 (30 days)")
        }
        let issued = try issuer.issue(clientID: body.clientId, role: body.role, ttl: ttl, actor: "admin-api")
        Counter(label: "ztp_tokens_issued_total").increment()
        let record = issued.record
        return .created(.init(body: .json(.init(token: issued.token, jti: record.jti, clientId: record.clientID, role: record.role,
                                                issuedAt: record.issuedAt, expiresAt: record.expiresAt))))
    }

    func listTokens(_ input: Operations.ListTokens.Input) async throws -> Operations.ListTokens.Output {
        let (limit, offset) = try QueryCheck.page(limit: input.query.limit, offset: input.query.offset)
        let state = input.query.state.flatMap { TokenState(rawValue: $0.rawValue) }
        let now = Date()
        let page = try store.tokens(clientID: input.query.clientId, state: state, now: now, limit: limit, offset: offset)
        return .ok(.init(body: .json(.init(total: page.total, offset: offset, limit: limit,
                                           tokens: page.items.map { .init($0, now: now) }))))
    }

    func getToken(_ input: Operations.GetToken.Input) async throws -> Operations.GetToken.Output {
        let jti = input.path.jti
        guard let record = try store.token(jti: jti) else { throw HTTPError.notFound("no token \(jti)") }
        return .ok(.init(body: .json(.init(record, now: Date()))))
    }

    /// Durable first, then the in-memory set, then live sessions: a token revoked here can
    /// neither start nor keep a session, even across a crash right after the answer. The
    /// sessions are closed together and awaited without holding any thread.
    func revokeToken(_ input: Operations.RevokeToken.Input) async throws -> Operations.RevokeToken.Output {
        let jti = input.path.jti
        switch try store.revoke(jti: jti, at: Date()) {
        case .unknown:
            throw HTTPError.notFound("no token \(jti)")
        case .alreadyRevoked:
            throw HTTPError.conflict("token \(jti) is already revoked")
        case .revoked:
            services.revocations.insert(jti)
            let record = try store.token(jti: jti)
            services.events.publish(.tokenRevoked, clientID: record?.clientID, role: record?.role, jti: jti)
            let sessions = services.registry.sessions(tokenID: jti)
            let closes = sessions.map { $0.close(code: .tokenRevoked, reason: "token revoked") }
            for close in closes { _ = try? await close.get() }
            Counter(label: "ztp_tokens_revoked_total").increment()
            try audit.recordNow(actor: "admin-api", action: "token.revoked",
                                detail: "jti=\(jti) sessions_closed=\(sessions.count)")
            return .noContent(.init())
        }
    }
}
