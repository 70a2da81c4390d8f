import Foundation

/// One server of a fleet as it registered itself in the shared database.
public struct NodeRecord: Sendable, Equatable {
    public var id: String
    /// Where it serves ZTP and its management API (as configured: `HOST:PORT`).
    public var ztpAddress: String
    public var apiAddress: String
    public var version: String
    public var startedAt: Date
    /// Its last heartbeat, by the database's clock (so nodes' clocks need not agree).
    public var heartbeatAt: Date
    /// Its live sessions at its last publication.
    public var sessionCount: Int

    public init(id: String, ztpAddress: String, apiAddress: String, version: String, startedAt: Date,
                heartbeatAt: Date = Date(), sessionCount: Int = 0) {
        self.id = id
        self.ztpAddress = ztpAddress
        self.apiAddress = apiAddress
        self.version = version
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
        self.sessionCount = sessionCount
    }
}

/// A node and how long it has been silent, both by the database's clock.
public struct NodeStatus: Sendable, Equatable {
    public var record: NodeRecord
    /// Seconds since its last heartbeat.
    public var silence: TimeInterval
    /// Counts the node's session publications (`publishSessions`), so readers fetch a list again
    /// only when it changed.
    public var sessionsVersion: Int64

    public init(record: NodeRecord, silence: TimeInterval, sessionsVersion: Int64) {
        self.record = record
        self.silence = silence
        self.sessionsVersion = sessionsVersion
    }
}

/// What every node of a fleet must share to honour each other's tokens and be pinned by the
/// same clients: the server's public key, and a fingerprint of the token secret (never the
/// secret itself).
public struct FleetIdentity: Sendable, Equatable {
    public var serverPublicKey: String
    public var secretFingerprint: String

    public init(serverPublicKey: String, secretFingerprint: String) {
        self.serverPublicKey = serverPublicKey
        self.secretFingerprint = secretFingerprint
    }
}

/// The notification channels servers on one database talk on (PostgreSQL LISTEN/NOTIFY).
public enum StoreChannel: String, Sendable, CaseIterable {
    /// A revocation was committed; the payload is its sequence number.
    case revocations = "ztp_revocation"
    /// A request for one node (terminate a session, close a stream); the payload is JSON.
    case commands = "ztp_command"
    /// A node's answer to a request; the payload is JSON.
    case commandResults = "ztp_command_result"
}

/// What a watch hears.
public enum StoreNotice: Sendable, Equatable {
    /// The watch (re)connected: anything sent while it was away is lost.
    case connected
    case message(StoreChannel, String)
}

/// Notices from the database until `stop()`.
public protocol StoreWatch: Sendable {
    func stop()
}
