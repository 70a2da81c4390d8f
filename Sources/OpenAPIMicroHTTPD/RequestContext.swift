/// What the transport knows of the request a handler is serving, beyond the `HTTPRequest`:
/// for middlewares (metrics labels, access logs, audit entries) through a task-local value.
public struct MicroHTTPDRequestContext: Sendable {
    /// The peer's numeric IP address, e.g. "127.0.0.1" or "::1"; empty when unknown.
    public var remoteAddress: String
    /// The registered path template that matched, e.g. `/v1/sessions/{id}`.
    public var routeTemplate: String
    /// When the request's headers arrived.
    public var started: ContinuousClock.Instant

    public init(remoteAddress: String, routeTemplate: String, started: ContinuousClock.Instant) {
        self.remoteAddress = remoteAddress
        self.routeTemplate = routeTemplate
        self.started = started
    }

    /// The request being served by the current task, if the transport started it.
    @TaskLocal public static var current: MicroHTTPDRequestContext?
}
