import Foundation
import GRDB

/// The fleet's tables in SQLite: the same meaning as PostgreSQL's (the store's tests run on
/// both), with this process's clock. No other process shares the file, so there is nothing to
/// watch or notify.
extension SQLiteBackend {
    func watch(_ channels: [StoreChannel], _ onNotice: @escaping @Sendable (StoreNotice) -> Void) -> (any StoreWatch)? {
        nil
    }

    func notify(_ channel: StoreChannel, payload: String) throws {}

    func registerNode(_ node: NodeRecord) throws {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO node (id, ztp_address, api_address, version, started_at, heartbeat_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET
                        ztp_address = excluded.ztp_address, api_address = excluded.api_address, version = excluded.version,
                        started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, session_count = 0,
                        sessions = '[]', sessions_version = sessions_version + 1
                    """,
                arguments: [node.id, node.ztpAddress, node.apiAddress, node.version, node.startedAt.storageValue,
                            Date().storageValue])
        }
    }

    func heartbeat(nodeID: String, sessionCount: Int) throws -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE node SET heartbeat_at = ?, session_count = ? WHERE id = ?",
                           arguments: [Date().storageValue, sessionCount, nodeID])
            return db.changesCount == 1
        }
    }

    func publishSessions(nodeID: String, sessionCount: Int, sessions: String) throws -> Bool {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE node SET heartbeat_at = ?, session_count = ?, sessions = ?, sessions_version = sessions_version + 1
                    WHERE id = ?
                    """,
                arguments: [Date().storageValue, sessionCount, sessions, nodeID])
            return db.changesCount == 1
        }
    }

    func nodes() throws -> [NodeStatus] {
        let now = Date().storageValue
        return try read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, ztp_address, api_address, version, started_at, heartbeat_at, session_count, sessions_version
                FROM node ORDER BY id
                """).map { row in
                let heartbeatAt: Double = row["heartbeat_at"]
                return NodeStatus(
                    record: NodeRecord(id: row["id"], ztpAddress: row["ztp_address"], apiAddress: row["api_address"],
                                       version: row["version"], startedAt: Date(storageValue: row["started_at"]),
                                       heartbeatAt: Date(storageValue: heartbeatAt), sessionCount: row["session_count"]),
                    silence: max(0, now - heartbeatAt), sessionsVersion: row["sessions_version"])
            }
        }
    }

    func sessions(ofNodes ids: [String]) throws -> [String: String] {
        try read { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ", ")
            var published: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, sessions FROM node WHERE id IN (\(marks))",
                                        arguments: StatementArguments(ids)) {
                published[row["id"]] = row["sessions"]
            }
            return published
        }
    }

    func removeNode(id: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM node WHERE id = ?", arguments: [id]) }
    }

    func pruneNodes(silentFor seconds: TimeInterval) throws -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM node WHERE ? - heartbeat_at > ?", arguments: [Date().storageValue, seconds])
            return db.changesCount
        }
    }

    func claimFleetIdentity(_ identity: FleetIdentity) throws -> FleetIdentity {
        try write { db in
            try db.execute(
                sql: "INSERT INTO fleet_identity (id, server_public_key, secret_fingerprint) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING",
                arguments: [identity.serverPublicKey, identity.secretFingerprint])
            guard let row = try Row.fetchOne(db, sql: "SELECT server_public_key, secret_fingerprint FROM fleet_identity WHERE id = 1")
            else { throw StoreError(code: .database, message: "the fleet identity row is missing after it was written") }
            return FleetIdentity(serverPublicKey: row["server_public_key"], secretFingerprint: row["secret_fingerprint"])
        }
    }
}
