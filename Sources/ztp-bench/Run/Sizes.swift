/// How big each scenario is. The full sizes are the issue's, except where noted in `notes`;
/// `--quick` divides them for a smoke run that still takes three samples of everything.
struct Sizes: Sendable {
    var runs = 3
    var handshakes = 5_000
    var handshakeConcurrency = 32
    var bulkBytes = 2 << 30
    var streams = 16
    var pings = 20_000
    var idleSessions = 10_000
    var chatSessions = 1_000
    var chatMessages = 20
    var chatFloodListeners = 500
    var chatFloodSeconds = 10.0
    var apiSessions = 10_000
    var apiRequests = 50
    var fleetRevocations = 50
    var fleetSessionsPerNode = 3_000
    var fleetHandshakes = 2_000
    /// Seconds `openssl s_time` runs per sample.
    var sTimeSeconds = 5
    var floorIterations = 2_000

    static let full = Sizes()

    static let quick = Sizes(runs: 3, handshakes: 500, bulkBytes: 128 << 20, pings: 2_000, idleSessions: 1_000,
                             chatSessions: 100, chatMessages: 5, chatFloodListeners: 50, chatFloodSeconds: 4, apiSessions: 1_000, apiRequests: 10, fleetRevocations: 10, fleetSessionsPerNode: 300, fleetHandshakes: 300, sTimeSeconds: 2,
                             floorIterations: 500)
}
