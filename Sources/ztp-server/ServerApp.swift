import Foundation
import Logging
import Metrics
import NIOPosix
import Prometheus
import ServiceLifecycle
import ZTPCore
import ZTPManagement
import ZTPServer
import ZTPStore

/// Wires the process together: data directory and keys, the store and the in-memory
/// revocation set, metrics, the ZTP listener and the management API, in one service group
/// that stops gracefully on SIGINT and SIGTERM.
struct ServerApp {
    let listener: ZTPListener
    let management: ManagementService
    /// With a PostgreSQL database: following the other nodes' revocations, this node's
    /// heartbeats and sessions, and their requests; empty with SQLite.
    let fleetServices: [any Service]
    let logger: Logger

    init(configuration: ServerConfiguration, dataDirectory: String, httpHost: String, httpPort: Int,
         writeDemoToken: Bool, database: DatabaseLocation, databaseWait: Double, auditRowCap: Int, revocationStaleness: Double,
         nodeID: String, logger: Logger) throws {
        let prometheus = PrometheusMetricsFactory()
        MetricsSystem.bootstrap(prometheus)
        let directory = try DataDirectory(path: dataDirectory)
        let identity = try directory.loadOrCreateIdentity()
        let secret = try directory.loadOrCreateTokenSecret()
        // A database starting beside this server (a compose file, a host booting) is waited for.
        let store = try Store.open(database, auditRowCap: auditRowCap, logger: logger, waitingUpTo: databaseWait)
        logger.info("store open", metadata: ["database": "\(database)"])
        // On a shared database other nodes revoke too: the list follows them (RevocationSync)
        // and is stale, refusing new handshakes, if it cannot for `revocationStaleness` seconds.
        let snapshot = try store.revocationSnapshot()
        var shared = false
        if case .postgres = database { shared = true }
        let revocations = RevocationList(snapshot.jtis, maxStaleness: shared ? revocationStaleness : nil)
        // One hub for every event source: the listener, the audit log, the token issuer.
        let events = EventHub()
        let audit = AuditLog(store: store, logger: logger, events: events)
        let services = ServerServices(configuration: configuration, identity: identity, tokenSecret: secret,
                                      revocations: revocations, events: events, logger: logger,
                                      onAuthenticationFailure: { remote, failure in
                                          audit.recordAuthenticationFailure(from: remote,
                                                                            reason: "\(failure.code.name) \(failure.reason)")
                                      })
        listener = ZTPListener(services: services, group: MultiThreadedEventLoopGroup.singleton)
        let issuer = TokenIssuer(secret: secret, store: store, policy: configuration.policy, events: events)
        if writeDemoToken, !directory.exists(DataDirectory.demoTokenFile) {
            // The demo token's role is `user`; a policy file may not define it (issuing it anyway
            // would trap in the issuer).
            if configuration.policy.isKnown(role: "user") {
                let demo = try issuer.issue(clientID: "demo", role: "user", ttl: 86_400, actor: "server")
                if try directory.createUnlessPresent(DataDirectory.demoTokenFile, contents: demo.token + "\n") {
                    logger.info("wrote demo token", metadata: ["file": "\(directory.file(DataDirectory.demoTokenFile))"])
                }
            } else {
                logger.warning("no demo token written: the policy has no role 'user'")
            }
        }
        let adminKey = try AdminKey.load(directory: directory, logger: logger)
        let node = Fleet.node(id: nodeID, ztpAddress: "\(configuration.host):\(configuration.port)",
                              apiAddress: "\(httpHost):\(httpPort)")
        var fleet = Fleet.single(node)
        var fleetServices: [any Service] = []
        if shared {
            try FleetIdentityCheck.join(store, as: FleetIdentityCheck.identity(publicKey: identity.publicKey, tokenSecret: secret))
            let view = FleetView(selfID: nodeID)
            let commands = FleetCommands(store: store, services: services, nodeID: nodeID, logger: logger)
            fleet = Fleet(node: node, view: view, commands: commands)
            fleetServices = [
                RevocationSync(store: store, services: services, after: snapshot.lastSequence, logger: logger),
                try NodeHeartbeat(store: store, services: services, node: node, view: view, logger: logger),
                commands,
            ]
            logger.info("joined the fleet", metadata: ["node": "\(nodeID)"])
        }
        self.fleetServices = fleetServices
        management = try ManagementService(
            host: httpHost, port: httpPort, listener: listener, store: store, issuer: issuer, audit: audit,
            adminKey: adminKey, prometheus: prometheus.registry, publicDirectory: ManagementService.findPublicDirectory(),
            fleet: fleet, logger: logger)
        self.logger = logger
    }

    func run() async throws {
        // Shut down in reverse order: the ZTP listener drains first while the management API
        // still answers (`/readyz` says 503, `/v1/events` subscribers see `server.draining` and
        // each session's close), then the API stops.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: MemoryTrimmer())]
        services += fleetServices.map { .init(service: $0) }
        services += [.init(service: management), .init(service: listener)]
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }
}
