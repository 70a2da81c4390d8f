import HTTPTypes
import OpenAPIRuntime

/// The operations registered on the transport, looked up by method and path.
///
/// The generated `registerHandlers` fills it; nothing here names a route. A path that matches
/// only under other methods resolves to 405 with the methods allowed; a GET operation also
/// serves HEAD (RFC 9110 §9.3.2; libmicrohttpd leaves the body out).
struct RouteTable: Sendable {
    typealias Handler = @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)

    struct Route: Sendable {
        let method: HTTPRequest.Method
        let pattern: RoutePattern
        let handler: Handler
    }

    enum Resolution {
        case matched(Route, [String: Substring])
        case methodNotAllowed(template: String, allowed: [String])
        case notFound
    }

    /// The route label of requests that match nothing.
    static let unmatched = "unmatched"

    private(set) var routes: [Route] = []

    /// Adds an operation; the same method and path shape twice is a programming error.
    mutating func add(method: HTTPRequest.Method, template: String, handler: @escaping Handler) throws(TransportError) {
        let pattern = RoutePattern(template)
        guard !routes.contains(where: { $0.method == method && $0.pattern.hasSameShape(as: pattern) }) else {
            throw .duplicateRoute(method.rawValue, template)
        }
        routes.append(Route(method: method, pattern: pattern, handler: handler))
    }

    func resolve(method: String, path: [String]) -> Resolution {
        var best: (route: Route, parameters: [String: String])?
        var bestAnyMethod: RoutePattern?
        var allowed: Set<String> = []
        for route in routes {
            guard let parameters = route.pattern.match(path) else { continue }
            allowed.insert(route.method.rawValue)
            if bestAnyMethod.map({ route.pattern.isMoreSpecific(than: $0) }) ?? true {
                bestAnyMethod = route.pattern
            }
            guard route.method.rawValue == method || (method == "HEAD" && route.method == .get) else { continue }
            if best.map({ Self.isBetter(route, than: $0.route, for: method) }) ?? true {
                best = (route, parameters)
            }
        }
        if let best {
            return .matched(best.route, best.parameters.mapValues { Substring($0) })
        }
        guard let bestAnyMethod else { return .notFound }
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return .methodNotAllowed(template: bestAnyMethod.template, allowed: allowed.sorted())
    }

    /// The more specific template wins; on equal templates an explicit HEAD route beats GET.
    private static func isBetter(_ route: Route, than current: Route, for method: String) -> Bool {
        if route.pattern.isMoreSpecific(than: current.pattern) { return true }
        if current.pattern.isMoreSpecific(than: route.pattern) { return false }
        return route.method.rawValue == method && current.method.rawValue != method
    }
}
