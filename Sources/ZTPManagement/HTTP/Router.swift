import Logging

/// Routes requests by method and path template to handlers.
///
/// Register routes with `add` (or `get`, `post`, ...), then hand `handle` to the daemon. A path
/// that matches only under other methods answers 405 with `Allow`; no match answers 404. HEAD is
/// served by the GET route (the daemon drops the body). Every response carries the matched
/// template (or "unmatched") for metrics labels.
public struct Router: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) throws -> HTTPResponse

    /// One registered route.
    struct Route: Sendable {
        let method: String
        let pattern: RoutePattern
        let handler: Handler
    }

    /// The outcome of looking a request up.
    enum Resolution {
        /// A route for this method; the path parameters it captured.
        case matched(Route, [String: String])
        /// The path matches `template`, but only under the `allowed` methods.
        case methodNotAllowed(template: String, allowed: [String])
        case notFound
    }

    /// The label for requests that match no route.
    public static let unmatched = "unmatched"

    private var routes: [Route] = []
    private let logger: Logger

    public init(logger: Logger = Logger(label: "ztp.management.http")) {
        self.logger = logger
    }

    /// Registers `handler` for `method` (case-sensitive, as RFC 9110 §9.1 says) and `pattern`.
    public mutating func add(_ method: String, _ pattern: String, handler: @escaping Handler) {
        let route = Route(method: method, pattern: RoutePattern(pattern), handler: handler)
        precondition(
            !routes.contains { $0.method == method && $0.pattern.hasSameShape(as: route.pattern) },
            "duplicate route \(method) \(pattern)"
        )
        routes.append(route)
    }

    public mutating func get(_ pattern: String, handler: @escaping Handler) {
        add("GET", pattern, handler: handler)
    }

    public mutating func post(_ pattern: String, handler: @escaping Handler) {
        add("POST", pattern, handler: handler)
    }

    public mutating func put(_ pattern: String, handler: @escaping Handler) {
        add("PUT", pattern, handler: handler)
    }

    public mutating func patch(_ pattern: String, handler: @escaping Handler) {
        add("PATCH", pattern, handler: handler)
    }

    public mutating func delete(_ pattern: String, handler: @escaping Handler) {
        add("DELETE", pattern, handler: handler)
    }

    /// Routes `request` and runs the handler; thrown errors become problem responses.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        var response: HTTPResponse
        let template: String
        switch resolve(method: request.method, path: request.pathSegments) {
        case let .matched(route, parameters):
            var request = request
            request.pathParameters = parameters
            template = route.pattern.template
            do {
                response = try route.handler(request)
            } catch {
                response = HTTPResponse(error: error, logger: logger, context: "\(request.method) \(template)")
            }
        case let .methodNotAllowed(matched, allowed):
            template = matched
            response = .problem(.methodNotAllowed(allowed: allowed))
        case .notFound:
            template = Self.unmatched
            response = .problem(.notFound("no resource matches the request path"))
        }
        response.route = template
        return response
    }

    /// The route template `request` would be labelled with, without running a handler.
    public func routeLabel(for request: HTTPRequest) -> String {
        switch resolve(method: request.method, path: request.pathSegments) {
        case let .matched(route, _): route.pattern.template
        case let .methodNotAllowed(template, _): template
        case .notFound: Self.unmatched
        }
    }

    func resolve(method: String, path: [String]) -> Resolution {
        var best: (route: Route, parameters: [String: String])?
        var bestAnyMethod: RoutePattern?
        var allowed: Set<String> = []
        for route in routes {
            guard let parameters = route.pattern.match(path) else { continue }
            allowed.insert(route.method)
            if bestAnyMethod.map({ route.pattern.isMoreSpecific(than: $0) }) ?? true {
                bestAnyMethod = route.pattern
            }
            guard Self.serves(route.method, for: method) else { continue }
            if best.map({ Self.isBetter(route, than: $0.route, for: method) }) ?? true {
                best = (route, parameters)
            }
        }
        if let best {
            return .matched(best.route, best.parameters)
        }
        guard let bestAnyMethod else { return .notFound }
        if allowed.contains("GET") {
            allowed.insert("HEAD")
        }
        return .methodNotAllowed(template: bestAnyMethod.template, allowed: allowed.sorted())
    }

    /// A GET route also serves HEAD (RFC 9110 §9.3.2).
    private static func serves(_ routeMethod: String, for method: String) -> Bool {
        routeMethod == method || (method == "HEAD" && routeMethod == "GET")
    }

    /// The more specific template wins; on equal templates an explicit HEAD route beats GET.
    private static func isBetter(_ route: Route, than current: Route, for method: String) -> Bool {
        if route.pattern.isMoreSpecific(than: current.pattern) { return true }
        if current.pattern.isMoreSpecific(than: route.pattern) { return false }
        return route.method == method && current.method != method
    }
}
