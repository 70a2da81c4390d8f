import Foundation

/// What each database behind `Store` implements, with the same meaning (the store's tests run
/// against every backend). `Store` checks arguments before it calls in: a backend gets
/// non-negative page bounds and a limit of at least 1 for `tokensExpiring`.
///
/// Every method is one transaction and is synchronous: it returns once the database has
/// answered (a write, once committed). It may be called from any thread but an event loop of
/// the backend's own.
protocol StoreBackend: Sendable {
    var auditRowCap: Int { get }

    func recordIssued(_ token: TokenRecord) throws
    func revoke(jti: String, at: Date) throws -> RevokeOutcome
    func revocationSnapshot() throws -> RevocationSnapshot
    func revocations(after sequence: Int64, limit: Int) throws -> [Revocation]
    /// Nil where no other process shares the database (SQLite: one server per file).
    func watch(_ channels: [StoreChannel], _ onNotice: @escaping @Sendable (StoreNotice) -> Void) -> (any StoreWatch)?
    func notify(_ channel: StoreChannel, payload: String) throws

    func registerNode(_ node: NodeRecord) throws
    func heartbeat(nodeID: String, sessionCount: Int) throws -> Bool
    func publishSessions(nodeID: String, sessionCount: Int, sessions: String) throws -> Bool
    func nodes() throws -> [NodeStatus]
    func sessions(ofNodes ids: [String]) throws -> [String: String]
    func removeNode(id: String) throws
    func pruneNodes(silentFor seconds: TimeInterval) throws -> Int
    func claimFleetIdentity(_ identity: FleetIdentity) throws -> FleetIdentity
    func token(jti: String) throws -> TokenRecord?
    func tokens(clientID: String?, state: TokenState?, now: Date, limit: Int, offset: Int) throws -> Page<TokenRecord>
    func tokensExpiring(after: Store.ExpiryCursor, upTo: Date, limit: Int) throws -> [TokenRecord]

    /// The event with its id, and how many old rows made room for it.
    func appendAudit(actor: String, action: String, detail: String, at: Date) throws -> (event: AuditEvent, evicted: Int)
    func addAuditTallies(_ tallies: [AuditTally]) throws -> AuditTallyOutcome
    func audit(limit: Int, offset: Int) throws -> Page<AuditEvent>

    func prune(tokensExpiredBefore cutoff: Date, auditBefore auditCutoff: Date) throws -> Int
    func checkReadable() throws
    func close() throws
}
