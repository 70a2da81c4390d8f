import GRDB

/// The database schema, as an ordered list of migrations.
///
/// Dates are REAL seconds since 2001-01-01 UTC (see `Date.storageValue`). Migrations are
/// append-only: never edit a shipped one, add the next.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tokens and audit") { db in
            try db.execute(sql: """
                CREATE TABLE token (
                    jti        TEXT PRIMARY KEY NOT NULL,
                    client_id  TEXT NOT NULL,
                    role       TEXT NOT NULL,
                    issued_at  REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    revoked_at REAL
                );
                -- Listing by client, newest first.
                CREATE INDEX token_client_issued ON token(client_id, issued_at);
                -- Listing all tokens, newest first.
                CREATE INDEX token_issued ON token(issued_at);
                -- The active/expired filters and pruning.
                CREATE INDEX token_expires ON token(expires_at);
                -- Loading the revocation set at start without a full scan.
                CREATE INDEX token_revoked ON token(revoked_at) WHERE revoked_at IS NOT NULL;

                CREATE TABLE audit (
                    id     INTEGER PRIMARY KEY AUTOINCREMENT,
                    time   REAL NOT NULL,
                    actor  TEXT NOT NULL,
                    action TEXT NOT NULL,
                    detail TEXT NOT NULL
                );
                -- Listing newest first, and pruning.
                CREATE INDEX audit_time ON audit(time);
                """)
        }
        migrator.registerMigration("v2: audit counts") { db in
            // `count` is how many events one row stands for: 1, except for aggregated rows
            // (failed authentications, one row per source address and minute). An aggregated row
            // carries its `aggregate_key`; UNIQUE allows any number of NULLs (plain events).
            try db.execute(sql: """
                ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
                ALTER TABLE audit ADD COLUMN aggregate_key TEXT;
                CREATE UNIQUE INDEX audit_aggregate ON audit(aggregate_key);
                """)
        }
        return migrator
    }
}
