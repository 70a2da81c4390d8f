import Foundation
import PostgresNIO

/// The fleet's tables: nodes with heartbeats and published sessions, and the fleet identity.
/// Times come from the database's clock (`PostgresSchema.now`), so nodes' clocks need not agree.
extension PostgresBackend {
    func registerNode(_ node: NodeRecord) throws {
        try connections.withConnection { session in
            try session.query("""
                INSERT INTO node (id, ztp_address, api_address, version, started_at, heartbeat_at)
                VALUES (\(node.id), \(node.ztpAddress), \(node.apiAddress), \(node.version), \(node.startedAt.storageValue),
                        \(unescaped: PostgresSchema.now))
                ON CONFLICT (id) DO UPDATE SET
                    ztp_address = EXCLUDED.ztp_address, api_address = EXCLUDED.api_address, version = EXCLUDED.version,
                    started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, session_count = 0,
                    sessions = '[]', sessions_version = node.sessions_version + 1
                """)
        }
    }

    func heartbeat(nodeID: String, sessionCount: Int) throws -> Bool {
        try connections.withConnection { session in
            try session.changes("""
                UPDATE node SET heartbeat_at = \(unescaped: PostgresSchema.now), session_count = \(sessionCount)
                WHERE id = \(nodeID)
                """) == 1
        }
    }

    func publishSessions(nodeID: String, sessionCount: Int, sessions: String) throws -> Bool {
        try connections.withConnection { session in
            try session.changes("""
                UPDATE node SET heartbeat_at = \(unescaped: PostgresSchema.now), session_count = \(sessionCount),
                                sessions = \(sessions), sessions_version = sessions_version + 1
                WHERE id = \(nodeID)
                """) == 1
        }
    }

    func nodes() throws -> [NodeStatus] {
        try connections.withConnection { session in
            try session.query("""
                SELECT id, ztp_address, api_address, version, started_at, heartbeat_at, session_count, sessions_version,
                       \(unescaped: PostgresSchema.now) - heartbeat_at
                FROM node ORDER BY id
                """).map { row in
                let (id, ztp, api, version, startedAt, heartbeatAt, count, sessionsVersion, silence) =
                    try row.decode((String, String, String, String, Double, Double, Int, Int64, Double).self)
                return NodeStatus(
                    record: NodeRecord(id: id, ztpAddress: ztp, apiAddress: api, version: version,
                                       startedAt: Date(storageValue: startedAt), heartbeatAt: Date(storageValue: heartbeatAt),
                                       sessionCount: count),
                    silence: max(0, silence), sessionsVersion: sessionsVersion)
            }
        }
    }

    func sessions(ofNodes ids: [String]) throws -> [String: String] {
        try connections.withConnection { session in
            var published: [String: String] = [:]
            for row in try session.query("SELECT id, sessions FROM node WHERE id = ANY(\(ids))") {
                let (id, sessions) = try row.decode((String, String).self)
                published[id] = sessions
            }
            return published
        }
    }

    func removeNode(id: String) throws {
        try connections.withConnection { session in
            try session.query("DELETE FROM node WHERE id = \(id)")
        }
    }

    func pruneNodes(silentFor seconds: TimeInterval) throws -> Int {
        try connections.withConnection { session in
            try session.changes("DELETE FROM node WHERE \(unescaped: PostgresSchema.now) - heartbeat_at > \(seconds)")
        }
    }

    func claimFleetIdentity(_ identity: FleetIdentity) throws -> FleetIdentity {
        try connections.withConnection { session in
            try session.query("""
                INSERT INTO fleet_identity (id, server_public_key, secret_fingerprint)
                VALUES (1, \(identity.serverPublicKey), \(identity.secretFingerprint))
                ON CONFLICT (id) DO NOTHING
                """)
            guard let row = try session.query("SELECT server_public_key, secret_fingerprint FROM fleet_identity WHERE id = 1").first
            else { throw StoreError(code: .database, message: "the fleet identity row is missing after it was written") }
            let (key, fingerprint) = try row.decode((String, String).self)
            return FleetIdentity(serverPublicKey: key, secretFingerprint: fingerprint)
        }
    }
}
