import Foundation

/// One second of the server (`GET /v1/stats`): gauges as they were at its end, counters as
/// what happened during it.
public struct StatsSample: Sendable, Equatable {
    /// The second, whole (`floor` of the Unix time of the recording).
    public var time: Date
    /// Sessions live at the end of the second (gauge).
    public var sessions: Int
    /// Streams open at the end of the second (gauge).
    public var streams: Int
    public var handshakesOK: Int
    /// Failed handshakes by reason (the `result` of `ztp_handshakes_total`); zeros absent.
    public var handshakesFailed: [String: Int]
    public var bytesIn: Int
    public var bytesOut: Int
    public var framesIn: Int
    public var framesOut: Int
    /// Chat messages accepted for fan-out.
    public var chatMessages: Int
    /// Management API requests.
    public var httpRequests: Int

    public init(time: Date, sessions: Int = 0, streams: Int = 0, handshakesOK: Int = 0, handshakesFailed: [String: Int] = [:],
                bytesIn: Int = 0, bytesOut: Int = 0, framesIn: Int = 0, framesOut: Int = 0, chatMessages: Int = 0,
                httpRequests: Int = 0) {
        self.time = time
        self.sessions = sessions
        self.streams = streams
        self.handshakesOK = handshakesOK
        self.handshakesFailed = handshakesFailed
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.framesIn = framesIn
        self.framesOut = framesOut
        self.chatMessages = chatMessages
        self.httpRequests = httpRequests
    }
}
