import PostgresNIO

/// The PostgreSQL schema: the same tables, columns and meaning as SQLite's (`Schema`), as an
/// ordered list of versioned migrations recorded in `ztp_schema_migrations`.
///
/// Dates are `double precision` seconds since 2001-01-01 UTC, as in SQLite, so a date reads back
/// exactly as written (a `timestamptz` keeps microseconds only). Migrations are append-only:
/// never edit a shipped one, add the next.
enum PostgresSchema {
    struct Migration {
        let version: Int
        let name: String
        let statements: [String]
    }

    /// Any fixed number: the servers of one database agree on it, nothing else uses it.
    static let advisoryLockKey: Int64 = 0x5A54_505F_5343_4845

    static let migrations: [Migration] = [
        Migration(version: 1, name: "tokens and audit", statements: [
            // `jti` compares byte by byte (COLLATE "C"), as SQLite's BINARY does: the expiry walk
            // orders by it. `seq` is the order of recording, SQLite's rowid: it breaks ties
            // between tokens issued in the same instant.
            """
            CREATE TABLE token (
                jti        text COLLATE "C" PRIMARY KEY,
                client_id  text NOT NULL,
                role       text NOT NULL,
                issued_at  double precision NOT NULL,
                expires_at double precision NOT NULL,
                revoked_at double precision,
                seq        bigint GENERATED ALWAYS AS IDENTITY
            )
            """,
            // Listing by client, newest first.
            "CREATE INDEX token_client_issued ON token(client_id, issued_at)",
            // Listing all tokens, newest first.
            "CREATE INDEX token_issued ON token(issued_at)",
            // The active/expired filters, pruning and the expiry walk.
            "CREATE INDEX token_expires ON token(expires_at, jti)",
            // Loading the revocation set at start without a full scan.
            "CREATE INDEX token_revoked ON token(revoked_at) WHERE revoked_at IS NOT NULL",
            """
            CREATE TABLE audit (
                id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                time   double precision NOT NULL,
                actor  text NOT NULL,
                action text NOT NULL,
                detail text NOT NULL
            )
            """,
            // Listing newest first, and pruning.
            "CREATE INDEX audit_time ON audit(time)",
        ]),
        Migration(version: 2, name: "audit counts", statements: [
            // `count` is how many events one row stands for (see SQLite's v2). NULL keys are
            // distinct in a unique index, so plain events never collide.
            "ALTER TABLE audit ADD COLUMN count bigint NOT NULL DEFAULT 1",
            "ALTER TABLE audit ADD COLUMN aggregate_key text",
            "CREATE UNIQUE INDEX audit_aggregate ON audit(aggregate_key)",
        ]),
        Migration(version: 3, name: "revocation sequence", statements: [
            // As SQLite's v3: the next number of a one-row counter, taken in the revoking
            // transaction. The counter row's lock is held to commit, so a second revocation
            // takes its number only once the first is visible: numbers appear in order, and a
            // server that follows them after the last one it saw misses none. (A SEQUENCE would
            // not do: its numbers can commit out of order.)
            "ALTER TABLE token ADD COLUMN revocation_seq bigint",
            """
            UPDATE token SET revocation_seq = numbered.n
            FROM (SELECT jti, row_number() OVER (ORDER BY revoked_at, seq) AS n FROM token WHERE revoked_at IS NOT NULL) numbered
            WHERE token.jti = numbered.jti
            """,
            "CREATE TABLE revocation_counter (id integer PRIMARY KEY CHECK (id = 1), last bigint NOT NULL)",
            "INSERT INTO revocation_counter (id, last) SELECT 1, COALESCE(max(revocation_seq), 0) FROM token",
            // Following revocations after a number.
            "CREATE UNIQUE INDEX token_revocation_seq ON token(revocation_seq) WHERE revocation_seq IS NOT NULL",
        ]),
        Migration(version: 4, name: "nodes and fleet identity", statements: [
            // One row per server of the fleet; `heartbeat_at` is the database's clock, so
            // silence is measured on one clock. `sessions` is the node's published session list
            // (JSON, opaque here); `sessions_version` moves with each publication.
            """
            CREATE TABLE node (
                id               text COLLATE "C" PRIMARY KEY,
                ztp_address      text NOT NULL,
                api_address      text NOT NULL,
                version          text NOT NULL,
                started_at       double precision NOT NULL,
                heartbeat_at     double precision NOT NULL,
                session_count    integer NOT NULL DEFAULT 0,
                sessions         text NOT NULL DEFAULT '[]',
                sessions_version bigint NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE fleet_identity (
                id                 integer PRIMARY KEY CHECK (id = 1),
                server_public_key  text NOT NULL,
                secret_fingerprint text NOT NULL
            )
            """,
        ]),
    ]

    /// Now, by the database's clock, in the store's date unit (seconds since 2001-01-01 UTC).
    static let now = "(extract(epoch from clock_timestamp())::double precision - 978307200)"


    /// Applies the migrations the database lacks, all in one transaction under an advisory
    /// lock: a second server starting at the same moment waits, then finds them applied.
    static func migrate(_ connections: PostgresConnections) throws {
        try connections.transaction { session in
            try session.query("SELECT pg_advisory_xact_lock(\(advisoryLockKey))")
            try session.execute("""
                CREATE TABLE IF NOT EXISTS ztp_schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let applied = Set(try session.query("SELECT version FROM ztp_schema_migrations").map {
                try $0.decode(Int.self)
            })
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements { try session.execute(statement) }
                try session.query("""
                    INSERT INTO ztp_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))
                    """)
            }
        }
    }
}
