import Foundation
import ZTPCore
import ZTPServer
import ZTPStore

/// Mints tokens and records their metadata (never their value) in the store.
public struct TokenIssuer: Sendable {
    /// A freshly issued token: the only moment its value is shown.
    public struct Issued: Sendable {
        public var token: String
        public var record: TokenRecord
    }

    public static let ttlRange = 1...2_592_000

    private let minter: TokenMinter
    private let store: Store
    private let policy: Policy
    /// Told of each issued token (`token.issued`: its jti, client and role, never the token).
    private let events: EventHub?

    public init(secret: SecretBytes, store: Store, policy: Policy, events: EventHub? = nil) {
        minter = TokenMinter(secret: secret)
        self.store = store
        self.policy = policy
        self.events = events
    }

    /// For the command line, which has only the data directory and the database's location
    /// (nil: the SQLite file in the data directory).
    public init(directory: DataDirectory, database: DatabaseLocation? = nil, policy: Policy = .default) throws {
        let location = database ?? .sqlite(path: directory.file(DataDirectory.storeFile))
        self.init(secret: try directory.loadOrCreateTokenSecret(), store: try Store.open(location), policy: policy)
    }

    public func issue(clientID: String, role: String, ttl: Int, actor: String) throws -> Issued {
        precondition(TokenClaims.isValidClientID(clientID) && policy.isKnown(role: role) && TokenIssuer.ttlRange.contains(ttl))
        let now = Date()
        let issuedAt = Int64(now.timeIntervalSince1970)
        let claims = TokenClaims(subject: clientID, role: role, issuedAt: issuedAt, expiresAt: issuedAt + Int64(ttl),
                                 id: TokenMinter.newTokenID())
        let record = TokenRecord(jti: claims.id, clientID: clientID, role: role,
                                 issuedAt: Date(timeIntervalSince1970: TimeInterval(claims.issuedAt)),
                                 expiresAt: Date(timeIntervalSince1970: TimeInterval(claims.expiresAt)))
        try store.recordIssued(record)
        try store.appendAudit(actor: actor, action: "token.issued", detail: "jti=\(claims.id) client=\(clientID) role=\(role) ttl=\(ttl)", at: now)
        events?.publish(.tokenIssued, clientID: clientID, role: role, jti: claims.id, detail: "ttl=\(ttl)")
        return Issued(token: minter.mint(claims), record: record)
    }
}
