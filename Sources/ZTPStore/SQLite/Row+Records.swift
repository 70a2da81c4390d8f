import Foundation
import GRDB

extension TokenRecord {
    /// The columns `init(row:)` reads, in SELECT order.
    static let columns = "jti, client_id, role, issued_at, expires_at, revoked_at"

    init(row: Row) throws {
        let revokedAt: Double? = try row.decode(forColumn: "revoked_at")
        self.init(
            jti: try row.decode(forColumn: "jti"),
            clientID: try row.decode(forColumn: "client_id"),
            role: try row.decode(forColumn: "role"),
            issuedAt: Date(storageValue: try row.decode(forColumn: "issued_at")),
            expiresAt: Date(storageValue: try row.decode(forColumn: "expires_at")),
            revokedAt: revokedAt.map(Date.init(storageValue:)))
    }
}

extension AuditEvent {
    /// The columns `init(row:)` reads, in SELECT order.
    static let columns = "id, time, actor, action, detail, count"

    init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"),
            time: Date(storageValue: try row.decode(forColumn: "time")),
            actor: try row.decode(forColumn: "actor"),
            action: try row.decode(forColumn: "action"),
            detail: try row.decode(forColumn: "detail"),
            count: try row.decode(forColumn: "count"))
    }
}
