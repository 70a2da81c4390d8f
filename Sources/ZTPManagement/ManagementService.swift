import Foundation
import Logging
import OpenAPIMicroHTTPD
import OpenAPIRuntime
import Prometheus
import ServiceLifecycle
import ZTPServer
import ZTPStore

/// The management API as a lifecycle service: the generated handlers on a libmicrohttpd
/// transport, bound at init (so a port in use fails at start), drained at graceful shutdown.
/// It also prunes expired store rows on a schedule.
public final class ManagementService: Service, Sendable {
    private let transport: MicroHTTPDTransport
    private let sampler: StatsSampler<ContinuousClock>
    private let expiryWatcher: TokenExpiryWatcher
    private let store: Store
    private let audit: AuditLog
    private let logger: Logger
    /// Expired tokens are kept this long after expiry (so `state=expired` listings mean
    /// something), audit events for 90 days.
    static let tokenRetention: TimeInterval = 7 * 86_400
    static let auditRetention: TimeInterval = 90 * 86_400

    public var port: Int { transport.port }

    public init(host: String, port: Int, listener: ZTPListener, store: Store, issuer: TokenIssuer, audit: AuditLog,
                adminKey: AdminKey, prometheus: PrometheusCollectorRegistry, publicDirectory: String?,
                fleet: Fleet = .single(), logger: Logger) throws {
        let requests = HTTPRequestTotal()
        let stats = StatsHistory()
        let api = ManagementAPI(listener: listener, store: store, issuer: issuer, audit: audit,
                                prometheus: prometheus, publicDirectory: publicDirectory,
                                httpListen: "\(host.contains(":") ? "[\(host)]" : host):\(port)",
                                openAPIPath: ManagementService.findResource("openapi.yaml"), stats: stats, fleet: fleet)
        sampler = StatsSampler(history: stats, totals: listener.services.totals, httpRequests: { requests.value })
        expiryWatcher = TokenExpiryWatcher(store: store, events: listener.services.events, logger: logger)
        transport = MicroHTTPDTransport(
            configuration: .init(host: host, port: port, connectionLimit: 256, connectionTimeoutSeconds: 10,
                                 bodyLimit: 64 * 1024, threadPoolSize: 2),
            logger: logger,
            observer: { method, route, status, elapsed in
                requests.record(method: method, route: route, status: status, elapsed: elapsed)
            })
        do {
            try api.register(on: transport, adminKey: adminKey, requests: requests, logger: logger)
            try transport.start()
        } catch {
            throw ManagementError(description: "management API cannot listen on \(host):\(port): \(error)")
        }
        self.store = store
        self.audit = audit
        self.logger = logger
        logger.info("management API ready", metadata: ["address": "\(host):\(transport.port)"])
    }

    /// Serves until graceful shutdown: prunes the store hourly, samples the counters every
    /// second, announces expired tokens; then drains the HTTP side.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.sampler.run() }
            group.addTask { try? await self.expiryWatcher.run() }
            group.addTask {
                await cancelWhenGracefulShutdown {
                    while !Task.isCancelled {
                        self.prune()
                        try? await Task.sleep(for: .seconds(3600))
                    }
                }
            }
        }
        await transport.shutdown()
        // Failed authentications still gathering are written before the process ends.
        audit.flush()
    }

    private func prune() {
        let now = Date()
        do {
            let removed = try store.prune(tokensExpiredBefore: now.addingTimeInterval(-Self.tokenRetention),
                                          auditBefore: now.addingTimeInterval(-Self.auditRetention))
            if removed > 0 { logger.info("pruned expired store rows", metadata: ["rows": "\(removed)"]) }
        } catch {
            logger.error("prune failed", metadata: ["error": "\(error)"])
        }
    }

    /// `Public/` beside the working directory, the executable, or /usr/share/ztp.
    public static func findPublicDirectory() -> String? {
        findResource("Public")
    }

    static func findResource(_ name: String) -> String? {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates: [String?] = [
            ProcessInfo.processInfo.environment["ZTP_RESOURCES"].map { ($0 as NSString).appendingPathComponent(name) },
            FileManager.default.currentDirectoryPath + "/" + name,
            executable.appendingPathComponent(name).path,
            executable.appendingPathComponent("../../../\(name)").standardized.path,
            "/usr/share/ztp/\(name)",
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }
}

public struct ManagementError: Error, CustomStringConvertible {
    public var description: String
}
