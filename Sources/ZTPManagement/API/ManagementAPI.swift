import Foundation
import Logging
import OpenAPIRuntime
import OpenAPIMicroHTTPD
import Prometheus
import ZTPServer
import ZTPStore

/// The management API: the operations `openapi.yaml` declares, implemented on the server's
/// state. Handlers read and change state only through the session registry, the store and the
/// revocation list, never by reaching into connections. Authentication, metrics and access
/// logging are middlewares (`Middleware/`); errors thrown here become problem+json responses
/// in `ProblemResponse`, the one place that maps them.
struct ManagementAPI: APIProtocol {
    let listener: ZTPListener
    let store: Store
    let issuer: TokenIssuer
    let audit: AuditLog
    let prometheus: PrometheusCollectorRegistry
    let publicDirectory: String?
    let httpListen: String
    let openAPIPath: String?
    /// The last 15 minutes of per-second samples, for `GET /v1/stats`.
    let stats: StatsHistory
    /// The other servers on the same database, if any.
    var fleet = Fleet.single()

    var services: ServerServices { listener.services }

    /// Registers every operation on `transport`, behind the middlewares: metrics outermost (so
    /// it counts refusals too), then the access log, the admin key and the JSON body check.
    func register(on transport: any ServerTransport, adminKey: AdminKey, requests: HTTPRequestTotal,
                  logger: Logger) throws {
        try registerHandlers(
            on: transport,
            configuration: .init(dateTranscoder: RFC3339DateTranscoder(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]),
            middlewares: [RequestMetricsMiddleware(total: requests), AccessLogMiddleware(logger: logger),
                          AdminKeyMiddleware(adminKey: adminKey), JSONBodyMiddleware()])
    }

    /// The peer of the request being served, for audit entries.
    var remoteAddress: String { MicroHTTPDRequestContext.current?.remoteAddress ?? "" }
}

/// The server's version string.
public enum ZTPVersion {
    public static let current = "0.1.0"
}

/// Reading checked query parameters: a bad value is a 400 that names the parameter (the
/// generated code checks types and enums, not the ranges the spec gives).
enum QueryCheck {
    static func integer(_ name: String, _ value: Int?, default fallback: Int, range: ClosedRange<Int>) throws(HTTPError) -> Int {
        guard let value else { return fallback }
        guard range.contains(value) else {
            throw .badRequest("query parameter '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    static func page(limit: Int?, offset: Int?) throws(HTTPError) -> (limit: Int, offset: Int) {
        (try integer("limit", limit, default: 100, range: 1...1000),
         try integer("offset", offset, default: 0, range: 0...Int(Int32.max)))
    }
}
