extension Connection {
    // MARK: Time

    /// Applies the time-based rules: the handshake limit (section 3.7, closed silently), then
    /// the session's idle, heartbeat and key-update rules.
    public mutating func tick(now: Double) -> [ConnectionEvent] {
        var events: [ConnectionEvent] = []
        switch phase {
        case .handshaking(let machine):
            if let deadline = machine.deadline, now >= deadline {
                phase = .closed
                events.append(.closed(.timeout))
            }
        case .established:
            withEngine { engine, out in engine.tick(now: now, out: &out, events: &events) }
            if case .closed = events.last { phase = .closed }
        case .closed:
            break
        }
        return events
    }

    /// The earliest time `tick` has work; nil when closed or without a limit.
    public var nextDeadline: Double? {
        switch phase {
        case .handshaking(let machine): return machine.deadline
        case .established(let engine): return engine.nextDeadline()
        case .closed: return nil
        }
    }

    // MARK: Output

    /// Sends one message as one DATA frame, or queues it behind the stream's window.
    public mutating func sendData(stream: UInt32, payload: [UInt8], now: Double) -> SendOutcome {
        withEngine { engine, out in engine.sendData(stream: stream, payload: payload, now: now, out: &out) } ?? .streamNotOpen
    }

    /// Ends a stream from this side. Returns false when it was not open.
    @discardableResult
    public mutating func closeStream(_ stream: UInt32, code: CloseCode, reason: String, now: Double) -> Bool {
        withEngine { engine, out in engine.closeStream(stream, code: code, reason: reason, now: now, out: &out) } ?? false
    }

    /// Ends the session: CLOSE on stream 0 when established, then the caller closes TCP.
    public mutating func close(code: CloseCode, reason: String, now: Double) {
        withEngine { engine, out in
            engine.seal(.close(stream: 0, code: code, reason: Frame.closeReason(reason)), now: now, into: &out)
        }
        phase = .closed
    }

    /// The application consumed `count` bytes of `stream` (only for manual credit).
    public mutating func consumed(stream: UInt32, count: Int, now: Double) {
        withEngine { engine, out in engine.consumed(stream: stream, count: count, now: now, out: &out) }
    }

    /// Sends a PING; its PONG arrives as `.pong(opaque)`.
    public mutating func ping(_ opaque: [UInt8], now: Double) {
        withEngine { engine, out in engine.ping(opaque, now: now, into: &out) }
    }

    /// Sends KEY_UPDATE and moves to the next send key (section 5).
    public mutating func updateSendKey(now: Double) {
        withEngine { engine, out in engine.sendKeyUpdate(now: now, into: &out) }
    }

    // MARK: Introspection

    /// Counters of the whole session.
    public var statistics: SessionStatistics {
        if case .established(let engine) = phase { return engine.statistics }
        return SessionStatistics()
    }

    /// Open streams, by id.
    public var streams: [UInt32: StreamState] {
        if case .established(let engine) = phase { return engine.streams }
        return [:]
    }

    /// Key updates sent by this side (0 before the first).
    public var sendKeyEpoch: Int {
        if case .established(let engine) = phase { return engine.sendKeyEpoch }
        return 0
    }

    /// Key updates received from the peer.
    public var receiveKeyEpoch: Int {
        if case .established(let engine) = phase { return engine.receiveKeyEpoch }
        return 0
    }

    /// Bytes held in stream queues waiting for window.
    public var queuedBytes: Int {
        if case .established(let engine) = phase { return engine.queuedBytes }
        return 0
    }
}

/// The server's side of a connection.
public typealias ServerConnection = Connection<ServerHandshake>
/// The client's side of a connection.
public typealias ClientConnection = Connection<ClientHandshake>

extension Connection where Handshake == ServerHandshake {
    /// - Parameter admission: section 4's first two checks for a stream the client opens: nil
    ///   to admit, UNKNOWN_STREAM when no handler has the id, FORBIDDEN when the role may not.
    public init(server handshake: ServerHandshake,
                admission: @escaping @Sendable (_ stream: UInt32, _ role: String) -> CloseCode?) {
        self.init(handshake: handshake, outbound: [], admission: admission)
    }
}

extension Connection where Handshake == ClientHandshake {
    /// Starts a client connection; `outbound` holds CLIENT_HELLO at once.
    public init(token: [UInt8], trust: ClientHandshake.ServerTrust, limits: SessionLimits = SessionLimits(),
                now: Double, handshakeTimeout: Double? = 10, ephemeral: X25519.KeyPair = X25519.KeyPair()) {
        var out: [UInt8] = []
        let machine = ClientHandshake(token: token, trust: trust, limits: limits, now: now, timeout: handshakeTimeout,
                                      ephemeral: ephemeral, out: &out)
        self.init(handshake: machine, outbound: out, admission: { _, _ in nil })
    }
}

extension Connection {
    /// When the last frame arrived (monotonic seconds), once established.
    public var lastReceived: Double? {
        if case .established(let engine) = phase { return engine.lastReceived }
        return nil
    }
}
