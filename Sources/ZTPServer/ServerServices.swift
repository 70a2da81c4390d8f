import Foundation
import Logging
import ZTPCore

/// What every connection and handler of one server shares. Immutable, or Sendable inside.
public struct ServerServices: Sendable {
    public let configuration: ServerConfiguration
    public let identity: Ed25519.KeyPair
    public let registry: SessionRegistry
    public let revocations: RevocationList
    public let router: StreamRouter
    public let metrics: ServerMetrics
    /// Session, stream and server events for `GET /v1/events`.
    public let events: EventHub
    /// `chat.sent` events the server may publish a second, over all sessions.
    let chatEvents = ChatEventBudget(perSecond: 20)
    /// The metrics' counters as numbers, for `GET /v1/stats`.
    public var totals: ServerTotals { metrics.totals }
    public let logger: Logger
    public let startedAt: Date
    public var policy: Policy { configuration.policy }
    let verifier: TokenVerifier
    let gate: HandshakeGate
    /// Told of every refused token (for the audit log); called on an event loop, must not block.
    let onAuthenticationFailure: @Sendable (_ remoteAddress: String, _ failure: TokenVerifier.Failure) -> Void

    public init(configuration: ServerConfiguration, identity: Ed25519.KeyPair, tokenSecret: SecretBytes,
                router: StreamRouter = .standard(), revocations: RevocationList = RevocationList(),
                registry: SessionRegistry? = nil, events: EventHub = EventHub(), logger: Logger = Logger(label: "ztp.server"),
                now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                onAuthenticationFailure: @escaping @Sendable (String, TokenVerifier.Failure) -> Void = { _, _ in }) {
        self.configuration = configuration
        self.identity = identity
        self.router = router
        self.revocations = revocations
        self.registry = registry ?? SessionRegistry(capacity: configuration.maxSessions,
                                                    perClientCapacity: configuration.maxSessionsPerClient)
        self.metrics = ServerMetrics()
        self.events = events
        self.logger = logger
        self.startedAt = Date()
        let policy = configuration.policy
        self.verifier = TokenVerifier(secret: tokenSecret, now: now, isKnownRole: { policy.isKnown(role: $0) },
                                      isRevoked: { revocations.contains($0) })
        self.gate = HandshakeGate(.init(maxHandshakes: configuration.maxHandshakes,
                                        maxPerAddress: configuration.maxHandshakesPerAddress,
                                        ratePerSecond: configuration.connectionRatePerAddress,
                                        always: configuration.addressLimitsAlways))
        self.onAuthenticationFailure = onAuthenticationFailure
    }
}
