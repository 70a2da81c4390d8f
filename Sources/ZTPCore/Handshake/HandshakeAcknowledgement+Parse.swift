import Foundation

extension HandshakeAcknowledgement {
    private struct Wire: Decodable {
        var session: String
        var client_id: String
        var role: String
        var max_streams: Int?
        var stream_window: Int?
        var stream_idle_timeout: Int?
        var heartbeat_interval: Int?
        var max_frame: Int?
    }

    /// Parses an ACK as a client: unknown members are ignored (section 3.6), absent ones take
    /// their defaults, and values that would break our own limits are refused.
    public init(parsing bytes: [UInt8]) throws(ZTPError) {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(bytes)) else {
            throw .protocolError(.badPayload, "HANDSHAKE_ACK is not the expected JSON object")
        }
        let defaults = SessionParameters()
        var parameters = SessionParameters(maxStreams: wire.max_streams ?? defaults.maxStreams,
                                           streamWindow: wire.stream_window ?? defaults.streamWindow,
                                           streamIdleTimeout: wire.stream_idle_timeout ?? defaults.streamIdleTimeout,
                                           heartbeatInterval: wire.heartbeat_interval ?? defaults.heartbeatInterval)
        parameters.maxFrame = wire.max_frame ?? defaults.maxFrame
        if let problem = parameters.problem {
            throw .protocolError(.badPayload, "HANDSHAKE_ACK parameters: \(problem)")
        }
        self.init(sessionID: wire.session, clientID: wire.client_id, role: wire.role, parameters: parameters)
    }
}
