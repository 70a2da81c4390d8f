import ZTPCore

/// Maps stream ids to handlers and applies section 4's admission order with the policy.
public struct StreamRouter: Sendable {
    private var handlers: [UInt32: any StreamHandler] = [:]

    public init() {}

    /// The router with the server's own streams: 1 chat, 2 control (ZTP-1 section 8).
    public static func standard() -> StreamRouter {
        var router = StreamRouter()
        router.register(ChatHandler(), on: ChatHandler.streamID)
        router.register(ControlHandler(), on: ControlHandler.streamID)
        return router
    }

    public mutating func register(_ handler: any StreamHandler, on stream: UInt32) {
        precondition(stream >= 1 && stream <= FrameType.maxStreamID, "stream ids are 1 to 2^31-1")
        handlers[stream] = handler
    }

    public func handler(for stream: UInt32) -> (any StreamHandler)? {
        handlers[stream]
    }

    /// "No handler for the id -> UNKNOWN_STREAM; the role may not use it -> FORBIDDEN"; the
    /// third check (max_streams) is the connection's.
    func admission(policy: Policy) -> @Sendable (UInt32, String) -> CloseCode? {
        let handlers = self.handlers
        return { stream, role in
            guard handlers[stream] != nil else { return .unknownStream }
            return policy.may(role, use: stream) ? nil : .forbidden
        }
    }
}
