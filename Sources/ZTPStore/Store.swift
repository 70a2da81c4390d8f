import Foundation
import Logging
import Metrics

/// The server's persistent state: issued-token metadata, revocations, and the audit log.
///
/// One type, two backends with the same meaning: SQLite (a file in the data directory, the
/// default; see `SQLiteBackend`) and PostgreSQL (a database several servers can share; see
/// `PostgresBackend`). `Store.open(_:)` picks one from a `DatabaseLocation`.
///
/// Every method is one transaction, synchronous, and may be called from any thread (the
/// HTTP API's handlers, the audit log's queue, the command line). A method that writes has
/// made its change durable when it returns: a revocation survives a crash right after
/// `revoke` returns. The ZTP handshake never calls the store: it checks tokens against the
/// in-memory revocation list that `revocationSnapshot()` fills at start.
///
/// The audit log holds at most `auditRowCap` rows: a write that would pass the cap removes the
/// oldest rows in the same transaction, so no flood of events can grow the database without
/// bound between two prunes.
public final class Store: Sendable {
    let backend: any StoreBackend

    /// Audit rows kept unless the operator says otherwise: months of a busy server's actions,
    /// a few tens of MB at most.
    public static let defaultAuditRowCap = 100_000

    /// The most audit rows kept; at least 1.
    public var auditRowCap: Int { backend.auditRowCap }

    init(backend: any StoreBackend) {
        self.backend = backend
    }

    /// Opens the SQLite store at `path`, creating the file if missing (the directory must
    /// exist). The file, and its -wal and -shm companions, get mode 0600; then pending
    /// migrations run.
    public convenience init(path: String, auditRowCap: Int = Store.defaultAuditRowCap) throws {
        precondition(auditRowCap >= 1, "the audit row cap must be at least 1")
        self.init(backend: try SQLiteBackend(path: path, auditRowCap: auditRowCap))
    }

    /// Connects to the PostgreSQL database at `url` and runs pending migrations (under an
    /// advisory lock, so servers starting at once on an empty database apply each one once).
    public convenience init(postgres url: PostgresURL, auditRowCap: Int = Store.defaultAuditRowCap,
                            logger: Logger = Logger(label: "ztp.store")) throws {
        precondition(auditRowCap >= 1, "the audit row cap must be at least 1")
        self.init(backend: try PostgresBackend(url: url, auditRowCap: auditRowCap, logger: logger))
    }

    /// Opens the store `location` names.
    public static func open(_ location: DatabaseLocation, auditRowCap: Int = Store.defaultAuditRowCap,
                            logger: Logger = Logger(label: "ztp.store")) throws -> Store {
        switch location {
        case .sqlite(let path): try Store(path: path, auditRowCap: auditRowCap)
        case .postgres(let url): try Store(postgres: url, auditRowCap: auditRowCap, logger: logger)
        }
    }

    /// Opens the store, waiting up to `patience` seconds for a database server that cannot be
    /// reached yet: one starting beside this server (a compose file, a host booting) is then
    /// no failure. Any other error, or the same one past the deadline, is thrown at once.
    public static func open(_ location: DatabaseLocation, auditRowCap: Int = Store.defaultAuditRowCap,
                            logger: Logger = Logger(label: "ztp.store"), waitingUpTo patience: Double) throws -> Store {
        let deadline = Date(timeIntervalSinceNow: patience)
        var waiting = false
        while true {
            do {
                return try open(location, auditRowCap: auditRowCap, logger: logger)
            } catch let error as StoreError where error.unreachable && Date() < deadline {
                if !waiting {
                    logger.notice("waiting for the database", metadata: [
                        "database": "\(location)", "error": "\(error.message)", "at most": "\(Int(patience)) s"])
                    waiting = true
                }
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
    }

    /// A store that lives in memory only and disappears with the instance; for tests and dry runs.
    public static func inMemory(auditRowCap: Int = Store.defaultAuditRowCap) throws -> Store {
        precondition(auditRowCap >= 1, "the audit row cap must be at least 1")
        return Store(backend: try SQLiteBackend(inMemoryWithAuditRowCap: auditRowCap))
    }

    /// Closes the database connections; every later call throws `StoreError.Code.database`.
    ///
    /// Deallocating the store closes it too; this is for an orderly shutdown that reports errors.
    public func close() throws {
        try backend.close()
    }

    /// Throws unless the database answers a read; a constant-cost probe (it reads no table)
    /// for readiness checks.
    public func checkReadable() throws {
        try backend.checkReadable()
    }

    // MARK: Tokens

    /// Records a newly issued token. Throws `StoreError.Code.duplicateToken` if its jti is stored.
    public func recordIssued(_ token: TokenRecord) throws {
        try backend.recordIssued(token)
    }

    /// Revokes the token `jti` at `at`, committed before this returns, with the next revocation
    /// sequence number (see `Revocation`); on PostgreSQL the commit notifies every watching server.
    ///
    /// A token revoked before keeps its first `revokedAt` and yields `.alreadyRevoked`.
    public func revoke(jti: String, at: Date) throws -> RevokeOutcome {
        try backend.revoke(jti: jti, at: at)
    }

    /// Every jti with `revokedAt` set, expired or not (the snapshot's set).
    public func revokedJTIs() throws -> Set<String> {
        try backend.revocationSnapshot().jtis
    }

    /// The revoked jtis and the sequence number of the last revocation among them, read so that
    /// following `revocations(after: lastSequence, ...)` from here misses none.
    public func revocationSnapshot() throws -> RevocationSnapshot {
        try backend.revocationSnapshot()
    }

    /// Revocations committed after the one numbered `sequence`, in their order, at most `limit`
    /// (pruned tokens are gone: their expiry refuses them already).
    public func revocations(after sequence: Int64, limit: Int) throws -> [Revocation] {
        precondition(limit >= 1)
        return try backend.revocations(after: sequence, limit: limit)
    }

    /// Calls `onNotice` (on a thread of the store's) soon after any server on the database
    /// commits a revocation, and whenever the watch (re)connects, since notices sent while it
    /// was away are lost; nil for SQLite, where this process makes every revocation itself.
    /// A notice only says "look": what changed is read with `revocations(after:limit:)`.
    public func watchRevocations(_ onNotice: @escaping @Sendable () -> Void) -> (any StoreWatch)? {
        backend.watch([.revocations]) { _ in onNotice() }
    }

    /// Calls `onNotice` (on a thread of the store's) for each notice on `channels` from any
    /// server on the database, and with `.connected` at each (re)connection; nil for SQLite.
    public func watch(_ channels: [StoreChannel], _ onNotice: @escaping @Sendable (StoreNotice) -> Void) -> (any StoreWatch)? {
        backend.watch(channels, onNotice)
    }

    /// Sends `payload` to every server watching `channel` (PostgreSQL: at most 8000 bytes);
    /// nothing with SQLite.
    public func notify(_ channel: StoreChannel, payload: String) throws {
        try backend.notify(channel, payload: payload)
    }

    /// The token `jti`, or nil if it was never recorded or has been pruned.
    public func token(jti: String) throws -> TokenRecord? {
        try backend.token(jti: jti)
    }

    /// Tokens newest issued first (tokens issued in the same instant: the later recorded
    /// first), optionally only one client's and only those in `state` at `now`.
    ///
    /// `total` counts every match; `items` holds at most `limit` of them, skipping `offset`.
    public func tokens(
        clientID: String?, state: TokenState?, now: Date, limit: Int, offset: Int
    ) throws -> Page<TokenRecord> {
        try Self.validatePage(limit: limit, offset: offset)
        return try backend.tokens(clientID: clientID, state: state, now: now, limit: limit, offset: offset)
    }

    /// Where a walk through tokens in expiry order stands: the last token returned.
    public struct ExpiryCursor: Sendable, Equatable {
        public var expiresAt: Date
        public var jti: String

        public init(expiresAt: Date, jti: String) {
            self.expiresAt = expiresAt
            self.jti = jti
        }
    }

    /// Unrevoked tokens that expire after `after` (in (expiresAt, jti) order, jtis compared
    /// byte by byte, so tokens sharing an instant are neither skipped nor repeated across
    /// batches) and at or before `upTo`: at most `limit`, soonest first.
    public func tokensExpiring(after: ExpiryCursor, upTo: Date, limit: Int) throws -> [TokenRecord] {
        precondition(limit >= 1)
        return try backend.tokensExpiring(after: after, upTo: upTo, limit: limit)
    }

    // MARK: Fleet

    /// Records this node (again, after a restart: the row is replaced) with a heartbeat now.
    public func registerNode(_ node: NodeRecord) throws {
        try backend.registerNode(node)
    }

    /// Marks the node alive now; false when its row is gone (pruned as silent): register again.
    public func heartbeat(nodeID: String, sessionCount: Int) throws -> Bool {
        try backend.heartbeat(nodeID: nodeID, sessionCount: sessionCount)
    }

    /// A heartbeat that also replaces the node's published sessions (opaque text, the fleet
    /// view's JSON) and moves their version on; false when the row is gone.
    public func publishSessions(nodeID: String, sessionCount: Int, sessions: String) throws -> Bool {
        try backend.publishSessions(nodeID: nodeID, sessionCount: sessionCount, sessions: sessions)
    }

    /// Every registered node, with its silence by the database's clock, in id order.
    public func nodes() throws -> [NodeStatus] {
        try backend.nodes()
    }

    /// The published sessions of the nodes `ids`, by node id (nodes not found are absent).
    public func sessions(ofNodes ids: [String]) throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        return try backend.sessions(ofNodes: ids)
    }

    /// Forgets a node (a graceful stop: it is gone at once rather than after its silence).
    public func removeNode(id: String) throws {
        try backend.removeNode(id: id)
    }

    /// Forgets nodes silent for more than `seconds`; returns how many.
    @discardableResult
    public func pruneNodes(silentFor seconds: TimeInterval) throws -> Int {
        try backend.pruneNodes(silentFor: seconds)
    }

    /// Records `identity` as the fleet's if none is recorded yet, in one statement (of nodes
    /// starting together, one wins); returns the fleet's identity, which a node compares with
    /// its own.
    public func claimFleetIdentity(_ identity: FleetIdentity) throws -> FleetIdentity {
        try backend.claimFleetIdentity(identity)
    }

    // MARK: Audit

    /// Appends one event to the audit log and returns it with its assigned id.
    ///
    /// If the log is at its row cap, the oldest rows make room in the same transaction.
    @discardableResult
    public func appendAudit(actor: String, action: String, detail: String, at: Date) throws -> AuditEvent {
        let (event, evicted) = try backend.appendAudit(actor: actor, action: action, detail: detail, at: at)
        countEvicted(evicted)
        return event
    }

    /// Adds each tally to the row of its key, creating the row when the key has none, in one
    /// transaction (one commit for the whole batch); then trims the log to its row cap.
    @discardableResult
    public func addAuditTallies(_ tallies: [AuditTally]) throws -> AuditTallyOutcome {
        guard !tallies.isEmpty else { return AuditTallyOutcome(rowsCreated: 0, rowsEvicted: 0) }
        let outcome = try backend.addAuditTallies(tallies)
        countEvicted(outcome.rowsEvicted)
        return outcome
    }

    /// Counted once the backend has returned, so after the commit: whoever sees the count on
    /// `/metrics` and then reads the log finds those rows gone, and a rolled-back delete is
    /// never counted.
    private func countEvicted(_ rows: Int) {
        if rows > 0 { Counter(label: "ztp_audit_rows_evicted_total").increment(by: rows) }
    }

    /// Audit events newest first (by time, then by id for events in the same instant).
    public func audit(limit: Int, offset: Int) throws -> Page<AuditEvent> {
        try Self.validatePage(limit: limit, offset: offset)
        return try backend.audit(limit: limit, offset: offset)
    }

    // MARK: Pruning

    /// Deletes token rows (revoked or not) whose `expiresAt` is before `cutoff`, and audit rows
    /// whose time is before `auditCutoff`, in one transaction; returns how many rows went.
    ///
    /// A pruned revoked token needs no entry in the revocation set: its expiry rejects it already,
    /// as long as `cutoff` is not later than now.
    @discardableResult
    public func prune(tokensExpiredBefore cutoff: Date, auditBefore auditCutoff: Date) throws -> Int {
        try backend.prune(tokensExpiredBefore: cutoff, auditBefore: auditCutoff)
    }

    /// Throws unless `limit` and `offset` are both non-negative. A limit of 0 returns only the total.
    static func validatePage(limit: Int, offset: Int) throws {
        guard limit >= 0, offset >= 0 else {
            throw StoreError.invalidPage(limit: limit, offset: offset)
        }
    }
}
