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
        migrator.registerMigration("v3: revocation sequence") { db in
            // Each revocation gets the next number of a one-row counter, in the revoking
            // transaction: numbers follow commit order and are never reused, even when the
            // token that had the highest one is pruned. Tokens revoked before this migration
            // are numbered in the order they were revoked.
            try db.execute(sql: """
                ALTER TABLE token ADD COLUMN revocation_seq INTEGER;
                UPDATE token SET revocation_seq = (
                    SELECT n FROM (SELECT jti AS revoked, row_number() OVER (ORDER BY revoked_at, rowid) AS n
                                   FROM token WHERE revoked_at IS NOT NULL)
                    WHERE revoked = token.jti)
                WHERE revoked_at IS NOT NULL;
                CREATE TABLE revocation_counter (
                    id   INTEGER PRIMARY KEY CHECK (id = 1),
                    last INTEGER NOT NULL
                );
                INSERT INTO revocation_counter (id, last) VALUES (1, COALESCE((SELECT MAX(revocation_seq) FROM token), 0));
                -- Following revocations after a number.
                CREATE UNIQUE INDEX token_revocation_seq ON token(revocation_seq) WHERE revocation_seq IS NOT NULL;
                """)
        }
        migrator.registerMigration("v4: nodes and fleet identity") { db in
            // The same tables as PostgreSQL's v4, so the store means the same on both. With
            // SQLite there is one server per file; nothing in the server writes them.
            try db.execute(sql: """
                CREATE TABLE node (
                    id               TEXT PRIMARY KEY NOT NULL,
                    ztp_address      TEXT NOT NULL,
                    api_address      TEXT NOT NULL,
                    version          TEXT NOT NULL,
                    started_at       REAL NOT NULL,
                    heartbeat_at     REAL NOT NULL,
                    session_count    INTEGER NOT NULL DEFAULT 0,
                    sessions         TEXT NOT NULL DEFAULT '[]',
                    sessions_version INTEGER NOT NULL DEFAULT 0
                );
                CREATE TABLE fleet_identity (
                    id                 INTEGER PRIMARY KEY CHECK (id = 1),
                    server_public_key  TEXT NOT NULL,
                    secret_fingerprint TEXT NOT NULL
                );
                """)
        }
        return migrator
    }
}
