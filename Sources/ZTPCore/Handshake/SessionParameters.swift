/// The session parameters a server announces in HANDSHAKE_ACK (ZTP-1 section 3.6).
public struct SessionParameters: Equatable, Sendable {
    /// Streams the client may have open at once.
    public var maxStreams: Int = 100
    /// Initial flow-control window per stream and direction, bytes.
    public var streamWindow: Int = 262_144
    /// Seconds without DATA before the server closes a stream.
    public var streamIdleTimeout: Int = 30
    /// Seconds; always less than `streamIdleTimeout`.
    public var heartbeatInterval: Int = 15
    /// Largest DATA plaintext; always 65,536 in ZTP/1.
    public var maxFrame: Int = FrameType.maxDataPayload

    public init(maxStreams: Int = 100, streamWindow: Int = 262_144, streamIdleTimeout: Int = 30, heartbeatInterval: Int = 15) {
        self.maxStreams = maxStreams
        self.streamWindow = streamWindow
        self.streamIdleTimeout = streamIdleTimeout
        self.heartbeatInterval = heartbeatInterval
    }

    /// Why a set of parameters cannot be used, or nil when it can.
    public var problem: String? {
        if maxStreams < 1 { return "max streams must be at least 1" }
        if streamWindow < 1 || streamWindow > Int(FlowControlWindow.maximum) { return "stream window must be 1 to 2147483647 bytes" }
        if streamIdleTimeout < 1 { return "stream idle timeout must be at least 1 second" }
        if heartbeatInterval < 1 { return "heartbeat interval must be at least 1 second" }
        if heartbeatInterval >= streamIdleTimeout { return "heartbeat interval must be below the stream idle timeout" }
        if maxFrame != FrameType.maxDataPayload { return "max frame is 65536 in ZTP/1" }
        return nil
    }
}

/// The HANDSHAKE_ACK payload: who the server authenticated and the session's parameters.
public struct HandshakeAcknowledgement: Equatable, Sendable {
    public var sessionID: String
    public var clientID: String
    public var role: String
    public var parameters: SessionParameters

    public init(sessionID: String, clientID: String, role: String, parameters: SessionParameters) {
        self.sessionID = sessionID
        self.clientID = clientID
        self.role = role
        self.parameters = parameters
    }

    /// Compact JSON with members in the order of the table in section 3.6, so the bytes are
    /// reproducible (the test vector fixes them).
    public var json: [UInt8] {
        let p = parameters
        let text = #"{"session":\#(jsonString(sessionID)),"client_id":\#(jsonString(clientID)),"role":\#(jsonString(role)),"max_streams":\#(p.maxStreams),"stream_window":\#(p.streamWindow),"stream_idle_timeout":\#(p.streamIdleTimeout),"heartbeat_interval":\#(p.heartbeatInterval),"max_frame":\#(p.maxFrame)}"#
        return Array(text.utf8)
    }
}
