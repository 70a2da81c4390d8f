import Foundation
import Testing
import ZTPClient
import ZTPCore
import ZTPTestSupport

/// `ztp-server --database postgres://...`: the store in a real PostgreSQL (the shared test
/// cluster), seen by every server process on that database.
@Suite("PostgreSQL store, end to end")
struct PostgresStoreTests {
    /// The files two servers must share to honour each other's tokens and clients' pinned key.
    static let sharedFiles = [DataDirectoryNames.tokenSecret, DataDirectoryNames.identity, DataDirectoryNames.adminKey]

    static let enabled: Bool = {
        if !PostgresTestCluster.isInstalled { print(PostgresTestCluster.notInstalledMessage) }
        return PostgresTestCluster.isInstalled
    }()

    @Test("a token issued, used and revoked on one server is known, revoked, to a second server and after a restart",
          .enabled(if: enabled, "PostgreSQL is not installed (make setup-test installs it)"))
    func sharedAcrossProcesses() async throws {
        // Starting the cluster and making a database wait on child processes: off the pool.
        let cluster = try await offPool { try PostgresTestCluster.shared() }
        let database = try await offPool { try cluster.makeDatabase() }
        // A password the trust-auth cluster ignores: it must show in no log.
        let password = "pw-\(UUID().uuidString)"
        let url = cluster.url(database: database)
            .replacingOccurrences(of: "://\(cluster.user)@", with: "://\(cluster.user):\(password)@")
        let arguments = ServerProcess.quickTimeouts + ["--database", url, "--no-demo-token"]
        let secrets = try TestPaths.makeTemporaryDirectory(prefix: "ztp-e2e-pg-secrets")
        defer { try? FileManager.default.removeItem(at: secrets) }

        let (revoked, kept, offline) = try await withServer(arguments) { first in
            let admin = try AdminAPI(first)
            let revoked = try await admin.issue(client: "pg-alice")
            let kept = try await admin.issue(client: "pg-bob")
            let live = try await first.connect(token: revoked.token)
            try await admin.revoke(jti: revoked.jti)
            let end = try await value(within: .seconds(5), of: "the revoked session's end") { await live.closed() }
            #expect(end.code == .closedByServer(.tokenRevoked))
            // The store is PostgreSQL: no SQLite file appeared in the data directory.
            #expect(!FileManager.default.fileExists(atPath: first.file("ztp.sqlite").path))
            #expect(!first.log.contains(password), "the server logged the database password")
            #expect(first.log.contains("postgres://\(cluster.user):***@"), "the server did not log where its store is")
            // `token issue` on the command line records into the same database.
            let issued = try await ChildProcess.run(try TestPaths.serverBinary(), [
                "token", "issue", "--client", "pg-carol", "--role", "user", "--ttl", "600",
                "--data-dir", first.dataDirectory.path, "--database", url,
            ])
            #expect(issued.status == 0, "token issue: \(issued.stderr)")
            #expect(!(issued.stdout + issued.stderr).contains(password))
            let offline = try TokenFailureTests.tokenID(issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            for name in Self.sharedFiles {
                try FileManager.default.copyItem(at: first.file(name), to: secrets.appendingPathComponent(name))
            }
            return (revoked, kept, offline)
        }

        // The first server again (its identity and secret, a fresh working directory: nothing
        // of the store is local), and a second one beside it, both on the same database.
        let sameIdentity = Self.identity(copiedFrom: secrets)
        try await withServer(arguments, prepare: sameIdentity) { restarted in
            try await withServer(arguments, prepare: sameIdentity) { second in
                for (name, server) in [("restarted", restarted), ("second", second)] {
                    let refused = await #expect(throws: ZTPClientError.self, "\(name): the revoked token") {
                        try await server.connect(token: revoked.token)
                    }
                    #expect(refused?.code == .closedByServer(.tokenRevoked), "\(name): \(String(describing: refused))")
                    let client = try await server.connect(token: kept.token)
                    #expect(client.session.clientID == "pg-bob", "\(name)")
                    await client.close()
                    let admin = try AdminAPI(server)
                    let record = try await HTTPExchange.send("GET", "/v1/tokens/\(revoked.jti)", port: server.httpPort,
                                                             bearer: admin.key)
                    #expect(record.status == 200, "\(name): \(record.body)")
                    #expect(record.body.contains(#""state":"revoked""#), "\(name): \(record.body)")
                    #expect(!server.log.contains(password), "\(name) logged the database password")
                    let listed = try await HTTPExchange.send("GET", "/v1/tokens/\(offline)", port: server.httpPort,
                                                             bearer: admin.key)
                    #expect(listed.status == 200 && listed.body.contains("pg-carol"), "\(name): \(listed.body)")
                }
            }
        }
    }

    /// Prepares a server's working directory with the key files of `directory` (another
    /// server's data directory, or a copy of it), as nodes of one fleet share them.
    static func identity(copiedFrom directory: URL) -> (URL) throws -> Void {
        { work in
            let data = work.appendingPathComponent("data")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: false)
            chmod(data.path, 0o700)
            for name in sharedFiles {
                try FileManager.default.copyItem(at: directory.appendingPathComponent(name), to: data.appendingPathComponent(name))
                chmod(data.appendingPathComponent(name).path, 0o600)
            }
        }
    }

    @Test("a server waits at start for a database it cannot reach yet, and starts once it can",
          .enabled(if: enabled, "PostgreSQL is not installed (make setup-test installs it)"))
    func waitsForTheDatabase() async throws {
        let cluster = try await offPool { try PostgresTestCluster.shared() }
        let database = try await offPool { try cluster.makeDatabase() }
        // Cut, the relay closes each connection as it is accepted: a database still starting.
        let relay = try TCPRelay(upstreamPort: cluster.port)
        defer { relay.close() }
        relay.cut()
        let url = cluster.url(database: database)
            .replacingOccurrences(of: "127.0.0.1:\(cluster.port)/", with: "127.0.0.1:\(relay.port)/")
        // The database comes up once the server has been refused twice (it waits its turn for a
        // server slot first, so a fixed delay could end before it even starts).
        let comesUp = Task {
            while relay.refusedConnections < 2 { try await Task.sleep(for: .milliseconds(50)) }
            relay.restore()
        }
        defer { comesUp.cancel() }
        try await withServer(ServerProcess.quickTimeouts + ["--database", url]) { server in
            #expect(server.log.contains("waiting for the database"), "\(server.log)")
            let admin = try AdminAPI(server)
            let issued = try await admin.issue(client: "late-db")
            let client = try await server.connect(token: issued.token)
            #expect(client.session.clientID == "late-db")
            await client.close()
        }
    }

    @Test("a database that refuses the server (no such database) is not waited for",
          .enabled(if: enabled, "PostgreSQL is not installed (make setup-test installs it)"))
    func refusedIsNotWaitedFor() async throws {
        let cluster = try await offPool { try PostgresTestCluster.shared() }
        let work = try TestPaths.makeTemporaryDirectory(prefix: "ztp-e2e-pg-refused")
        defer { try? FileManager.default.removeItem(at: work) }
        try Unprivileged.handOver(work)
        let started = ContinuousClock.now
        // The default wait is 60 s; the run's own limit is 20 s.
        let result = try await ChildProcess.run(try TestPaths.serverBinary(), [
            "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--data-dir", work.appendingPathComponent("data").path,
            "--database", cluster.url(database: "no_such_database"),
        ])
        let output = result.stdout + result.stderr
        #expect(result.status != 0, "\(output)")
        #expect(output.contains("3D000"), "\(output)")
        #expect(!output.contains("waiting for the database"), "\(output)")
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test("a bad --database URL or an unreachable database stops the start with a clear error, never the password")
    func badURL() async throws {
        let work = try TestPaths.makeTemporaryDirectory(prefix: "ztp-e2e-pg-bad")
        defer { try? FileManager.default.removeItem(at: work) }
        let cases = [
            ("postgres://ztp:SECRETPW@127.0.0.1", "--database: the database URL names no database"),
            ("mysql://ztp:SECRETPW@127.0.0.1/ztp", "--database: the database URL must start with postgres://"),
            ("postgres://ztp:SECRETPW@127.0.0.1:1/ztp", "PostgreSQL connect failed"),
        ]
        // An unreachable database is waited for (`--database-wait`), here for one second.
        for (url, message) in cases {
            let result = try await ChildProcess.run(try TestPaths.serverBinary(), [
                "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--data-dir", work.appendingPathComponent("data").path,
                "--database", url, "--database-wait", "1",
            ])
            let output = result.stdout + result.stderr
            #expect(result.status != 0, "\(url): \(output)")
            if url.contains(":1/") { #expect(output.contains("waiting for the database"), "\(url): \(output)") }
            #expect(output.contains(message), "\(url): \(output)")
            #expect(!output.contains("SECRETPW"), "\(url): \(output)")
        }
    }
}

/// The data directory's file names, as the server writes them.
enum DataDirectoryNames {
    static let tokenSecret = "token.secret"
    static let identity = "identity.key"
    static let adminKey = "admin.key"
}
