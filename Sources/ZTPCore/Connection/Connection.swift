/// One ZTP connection, either role, from the first byte to the close, sans-IO.
///
/// Feed it the bytes that arrive (`receive`) and the passing time (`tick`), write out what
/// accumulates in `outbound`, and act on the returned events. The handshake machine runs
/// first; once it reports `.established`, the shared session engine takes over. Errors follow
/// section 2.0: CLOSE with the code when this side has a send key and the rule allows it,
/// otherwise a silent close; either way the last event is `.closed`.
public struct Connection<Handshake: HandshakeMachine>: Sendable {
    enum Phase: Sendable {
        /// The handshake machine is running.
        case handshaking(Handshake)
        /// The session engine is running.
        case established(SessionEngine)
        /// Over; further input is ignored.
        case closed
    }

    var phase: Phase
    private var decoder = FrameDecoder(sender: Handshake.peerRole)
    /// Section 4's first two checks for a stream the client opens (server side only).
    private let admission: @Sendable (_ stream: UInt32, _ role: String) -> CloseCode?
    /// Bytes to write to the peer, in order.
    public private(set) var outbound: [UInt8] = []
    /// Set once the handshake succeeds.
    public private(set) var session: SessionInfo?
    /// The handshake machine, kept for what it learned (e.g. why a token failed).
    public private(set) var handshake: Handshake

    init(handshake: Handshake, outbound: [UInt8], admission: @escaping @Sendable (UInt32, String) -> CloseCode?) {
        self.handshake = handshake
        self.phase = .handshaking(handshake)
        self.outbound = outbound
        self.admission = admission
    }

    public var isEstablished: Bool {
        if case .established = phase { return true }
        return false
    }

    public var isClosed: Bool {
        if case .closed = phase { return true }
        return false
    }

    /// Hands over the bytes to write and empties the buffer (keeping its capacity).
    public mutating func takeOutbound() -> [UInt8] {
        defer { outbound.removeAll(keepingCapacity: true) }
        return outbound
    }

    /// Appends the bytes to write to `sink` and empties the buffer without giving up capacity.
    public mutating func drainOutbound(_ sink: (UnsafeRawBufferPointer) -> Void) {
        guard !outbound.isEmpty else { return }
        outbound.withUnsafeBytes(sink)
        outbound.removeAll(keepingCapacity: true)
    }

    // MARK: Input

    /// Takes bytes from the peer and processes every whole frame among them.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Double) -> [ConnectionEvent] {
        guard !isClosed else { return [] }
        // Section 3.7: a handshake past its limit is over even if `tick` has not run yet, so
        // bytes that arrive late cannot complete it.
        if case .handshaking(let machine) = phase, let deadline = machine.deadline, now >= deadline {
            return tick(now: now)
        }
        decoder.append(bytes)
        var events: [ConnectionEvent] = []
        do throws(ZTPError) {
            while !isClosed, let frame = try decoder.next() {
                try process(frame, now: now, events: &events)
            }
        } catch {
            fail(error, now: now, events: &events)
        }
        return events
    }

    public mutating func receive(_ bytes: [UInt8], now: Double) -> [ConnectionEvent] {
        bytes.withUnsafeBytes { receive($0, now: now) }
    }

    private mutating func process(_ frame: FrameDecoder.RawFrame, now: Double, events: inout [ConnectionEvent]) throws(ZTPError) {
        switch phase {
        case .handshaking(var machine):
            var out = outbound
            outbound = []
            defer { outbound = out }
            let step = try machine.receive(frame, now: now, out: &out)
            handshake = machine
            phase = .handshaking(machine)
            switch step {
            case .pending:
                break
            case .established(let info, let sealer, let opener, let limits, let endsAt):
                session = info
                phase = .established(SessionEngine(role: Handshake.localRole, parameters: info.parameters, limits: limits,
                                                   sealer: sealer, opener: opener, now: now, endsAt: endsAt))
                events.append(.established(info))
            case .rejected(let reason):
                phase = .closed
                events.append(.closed(reason))
            }
        case .established:
            let role = session?.role ?? ""
            let admission = self.admission
            try withEngine { (engine: inout SessionEngine, out: inout [UInt8]) throws(ZTPError) in
                // A handshake frame here is out of its place, which its header shows: a protocol
                // error even if its nonce is also wrong (section 2.0: the type is checked first).
                switch frame.header.type {
                case .handshakeInit, .handshakeAck, .clientHello, .serverHello:
                    throw .protocolError(.unexpectedFrame, "\(frame.header.type) after the handshake")
                case .data, .close, .ping, .pong, .windowUpdate, .keyUpdate:
                    break
                }
                let plaintext = try engine.opener.open(frame)
                engine.noteReceived(frameBytes: frame.bytes.count, now: now)
                let parsed = try Frame(header: frame.header, plaintext: plaintext)
                try engine.receive(parsed, now: now, admission: { admission($0, role) }, out: &out, events: &events)
            }
            if case .closed = events.last { phase = .closed }
        case .closed:
            return
        }
    }

    /// Runs `body` on the engine and the outbound buffer, both moved out of `self` meanwhile:
    /// the engine's storage stays uniquely referenced (no copy of the stream table per frame)
    /// and the body may write frames. Nil when not established.
    /// Generic over the error so that non-throwing bodies need no `try` (E is then `Never`).
    @discardableResult
    mutating func withEngine<R, E: Error>(_ body: (inout SessionEngine, inout [UInt8]) throws(E) -> R) throws(E) -> R? {
        guard case .established(var engine) = phase else { return nil }
        phase = .closed
        var out = outbound
        outbound = []
        defer {
            phase = .established(engine)
            outbound = out
        }
        return try body(&engine, &out)
    }

    /// Applies a protocol violation: CLOSE first when the rules allow it, then close.
    private mutating func fail(_ error: ZTPError, now: Double, events: inout [ConnectionEvent]) {
        let reason = Frame.closeReason(error.kind.rawValue)
        if !error.alwaysSilent {
            switch phase {
            case .established:
                withEngine { engine, out in engine.seal(.close(stream: 0, code: error.code, reason: reason), now: now, into: &out) }
            case .handshaking(var machine):
                var out = outbound
                outbound = []
                _ = machine.sealClose(code: error.code, reason: reason, out: &out)
                outbound = out
            case .closed:
                break
            }
        }
        phase = .closed
        events.append(.closed(.protocolError(error)))
    }
}
