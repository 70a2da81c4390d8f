import Metrics
import ZTPCore

/// The ZTP listener's metrics, through the swift-metrics API (the executable picks the
/// Prometheus backend). Labels are bounded sets: results, kinds, reasons; never a client or
/// session id.
public struct ServerMetrics: Sendable {
    let sessionsActive = Meter(label: "ztp_sessions_active")
    let sessionsOpened = Counter(label: "ztp_sessions_opened_total")
    let handshakeDuration = Timer(label: "ztp_handshake_duration_seconds", preferredDisplayUnit: .seconds)
    let streamsActive = Meter(label: "ztp_streams_active")
    let streamsOpened = Counter(label: "ztp_streams_opened_total")
    let framesIn = Counter(label: "ztp_frames_total", dimensions: [("direction", "in")])
    let framesOut = Counter(label: "ztp_frames_total", dimensions: [("direction", "out")])
    let bytesIn = Counter(label: "ztp_bytes_total", dimensions: [("direction", "in")])
    let bytesOut = Counter(label: "ztp_bytes_total", dimensions: [("direction", "out")])
    let decryptFailures = Counter(label: "ztp_decrypt_failures_total")
    let replayRejections = Counter(label: "ztp_replay_rejections_total")
    let slowConsumerCloses = Counter(label: "ztp_slow_consumer_closes_total")
    let connectionsRejected = Counter(label: "ztp_connections_rejected_total", dimensions: [("reason", "capacity")])
    /// Chat messages whose fan-out waited for their sender's batch in flight.
    let chatFanOutsHeld = Counter(label: "ztp_chat_fanouts_held_total")
    let chatMessages = Counter(label: "ztp_chat_messages_total")
    /// Tasks chat fan-outs queued on event loops other than their sender's: one per loop per
    /// batch of messages.
    let chatFanOutTasks = Counter(label: "ztp_chat_fanout_tasks_total")
    /// The same counts as numbers this process reads back (for the stats history).
    public let totals: ServerTotals

    public init(totals: ServerTotals = ServerTotals()) {
        self.totals = totals
    }

    /// `ok`, each failure code's name in lower case, `timeout`, `rate_limited`, ...
    func handshake(_ result: String) {
        Counter(label: "ztp_handshakes_total", dimensions: [("result", result)]).increment()
        totals.handshake(result)
    }

    func sessionStarted() {
        sessionsActive.increment()
        totals.sessionsChanged(by: 1)
    }

    func sessionLeft() {
        sessionsActive.decrement()
        totals.sessionsChanged(by: -1)
    }

    func streamStarted() {
        streamsOpened.increment()
        streamsActive.increment()
        totals.streamsChanged(by: 1)
    }

    func streamLeft() {
        streamsActive.decrement()
        totals.streamsChanged(by: -1)
    }

    /// A chat message accepted for fan-out.
    func chatMessage() {
        chatMessages.increment()
        totals.chatMessage()
    }

    /// `reason` is a close code's name in lower case (the stream's, or its session's when the
    /// stream ended with the session), or `disconnected` when TCP ended without a CLOSE.
    func streamClosed(_ reason: String) {
        Counter(label: "ztp_streams_closed_total", dimensions: [("reason", reason)]).increment()
    }

    func streamRejected(_ code: CloseCode) {
        Counter(label: "ztp_streams_rejected_total", dimensions: [("reason", code.name.lowercased())]).increment()
    }

    func protocolError(_ kind: ZTPError.Kind) {
        Counter(label: "ztp_protocol_errors_total", dimensions: [("kind", kind.rawValue)]).increment()
        switch kind {
        case .decryptFailed: decryptFailures.increment()
        case .nonceMismatch: replayRejections.increment()
        case .pingFlood, .emptyDataFlood, .windowUpdateFlood, .streamChurn, .keyUpdateFlood: peerLimit(kind.rawValue)
        default: break
        }
    }

    /// A per-peer budget refused something: `handshakes`, `handshakes_per_address`,
    /// `connection_rate`, `sessions_per_client`, `client_hello_timeout`, or a flood kind
    /// (`ping_flood`, `empty_data_flood`, `window_update_flood`, `stream_churn`, `key_update_flood`).
    func peerLimit(_ reason: String) {
        Counter(label: "ztp_peer_limit_refusals_total", dimensions: [("reason", reason)]).increment()
    }

    /// `reason` is a close code's name in lower case, or `disconnected` when TCP ended first.
    func sessionClosed(_ reason: String) {
        Counter(label: "ztp_sessions_closed_total", dimensions: [("reason", reason)]).increment()
    }

    /// Adds the traffic of one batch (deltas of the session counters).
    func traffic(from old: SessionStatistics, to new: SessionStatistics) {
        func delta(_ old: UInt64, _ new: UInt64) -> Int { new > old ? Int(clamping: new - old) : 0 }
        let bytesIn = delta(old.bytesIn, new.bytesIn), bytesOut = delta(old.bytesOut, new.bytesOut)
        let framesIn = delta(old.framesIn, new.framesIn), framesOut = delta(old.framesOut, new.framesOut)
        if framesIn > 0 { self.framesIn.increment(by: Int64(framesIn)) }
        if framesOut > 0 { self.framesOut.increment(by: Int64(framesOut)) }
        if bytesIn > 0 { self.bytesIn.increment(by: Int64(bytesIn)) }
        if bytesOut > 0 { self.bytesOut.increment(by: Int64(bytesOut)) }
        totals.traffic(bytesIn: bytesIn, bytesOut: bytesOut, framesIn: framesIn, framesOut: framesOut)
    }
}
