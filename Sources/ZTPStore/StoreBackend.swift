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
    func revokedJTIs() throws -> Set<String>
    func revocationSnapshot() throws -> RevocationSnapshot
    func revocations(after sequence: Int64, limit: Int) throws -> [Revocation]
    /// Nil where no other process revokes (SQLite: one server per file).
    func watchRevocations(_ onNotice: @escaping @Sendable () -> Void) -> (any RevocationWatch)?
    func token(jti: String) throws -> TokenRecord?
    func tokens(clientID: String?, state: TokenState?, now: Date, limit: Int, offset: Int) throws -> Page<TokenRecord>
    func tokensExpiring(after: Store.ExpiryCursor, upTo: Date, limit: Int) throws -> [TokenRecord]

    func appendAudit(actor: String, action: String, detail: String, at: Date) throws -> AuditEvent
    func addAuditTallies(_ tallies: [AuditTally]) throws -> AuditTallyOutcome
    func audit(limit: Int, offset: Int) throws -> Page<AuditEvent>

    func prune(tokensExpiredBefore cutoff: Date, auditBefore auditCutoff: Date) throws -> Int
    func checkReadable() throws
    func close() throws
}
