import Foundation
import ZTPCore

/// A session as the management API sees it: identity plus counters, copied out of the
/// registry so that nothing outside holds references into live connection state.
public struct SessionSnapshot: Sendable, Equatable, Codable {
    public var id: String
    public var clientID: String
    public var role: String
    public var tokenID: String
    public var remoteAddress: String
    public var connectedAt: Date
    public var lastActivityAt: Date
    public var statistics: SessionStatistics
    public var keyEpoch: Int
    public var streams: [StreamSnapshot]
}

/// One open stream of a session.
public struct StreamSnapshot: Sendable, Equatable, Codable {
    public var id: UInt32
    /// `chat`, `control`, or the handler's name.
    public var kind: String
    public var openedAt: Date
    public var lastActivityAt: Date
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    public var framesIn: UInt64
    public var framesOut: UInt64
    public var sendWindow: Int
    public var receiveWindow: Int
}

/// What a session publishes about itself after each batch of work.
struct LiveSessionState: Sendable {
    var lastActivityAt: Date
    var statistics = SessionStatistics()
    var keyEpoch = 0
    var streams: [StreamSnapshot] = []
}
