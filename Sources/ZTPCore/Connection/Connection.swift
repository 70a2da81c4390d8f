import NIOCore

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
    /// Bytes to write to the peer, in order. Frames are sealed in place here, so a transport
    /// that writes `ByteBuffer`s takes this buffer as it is (`takeOutboundBuffer`), no copy.
    public private(set) var outbound = ByteBuffer()
    /// Set once the handshake succeeds.
    public private(set) var session: SessionInfo?
    /// The handshake machine, kept for what it learned (e.g. why a token failed).
    public private(set) var handshake: Handshake

    init(handshake: Handshake, outbound: [UInt8], admission: @escaping @Sendable (UInt32, String) -> CloseCode?) {
        self.handshake = handshake
        self.phase = .handshaking(handshake)
        // `ByteBuffer()` shares one empty storage: a server connection allocates none here.
        self.outbound = outbound.isEmpty ? ByteBuffer() : ByteBuffer(bytes: outbound)
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

    /// Whether there are bytes to write.
    public var hasOutbound: Bool { outbound.readableBytes > 0 }

    /// Hands over the bytes to write as a copy and empties the buffer (keeping its capacity).
    public mutating func takeOutbound() -> [UInt8] {
        defer { outbound.clear() }
        return Array(buffer: outbound)
    }

    /// Hands over the buffer the frames were sealed into, for the transport to write as it is;
    /// the next frame starts a new one.
    public mutating func takeOutboundBuffer() -> ByteBuffer {
        defer { outbound = ByteBuffer() }
        return outbound
    }

    /// Shows the bytes to write to `sink` and empties the buffer without giving up capacity.
    public mutating func drainOutbound(_ sink: (UnsafeRawBufferPointer) -> Void) {
        guard hasOutbound else { return }
        outbound.withUnsafeReadableBytes(sink)
        outbound.clear()
    }

    // MARK: Input

    /// Takes bytes from the peer, processes every whole frame among them, and appends what
    /// happened to `events`. A DATA event's payload is a slice of this connection's receive
    /// buffer: act on it (or copy it) and let go of it before the next `receive`, or that call
    /// copies the buffer. With `events` kept by the caller and emptied keeping its capacity, a
    /// DATA frame costs no allocation.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Double, into events: inout [ConnectionEvent]) {
        guard acceptsInput(now: now, events: &events) else { return }
        decoder.append(bytes)
        processBuffered(now: now, events: &events)
    }

    public mutating func receive(_ bytes: ByteBuffer, now: Double, into events: inout [ConnectionEvent]) {
        guard acceptsInput(now: now, events: &events) else { return }
        decoder.append(bytes)
        processBuffered(now: now, events: &events)
    }

    public mutating func receive(_ bytes: UnsafeRawBufferPointer, now: Double) -> [ConnectionEvent] {
        var events: [ConnectionEvent] = []
        receive(bytes, now: now, into: &events)
        return events
    }

    public mutating func receive(_ bytes: [UInt8], now: Double) -> [ConnectionEvent] {
        bytes.withUnsafeBytes { receive($0, now: now) }
    }

    /// False when input is over: the connection is closed, or (section 3.7) the handshake is
    /// past its limit even if `tick` has not run yet, so that late bytes cannot complete it.
    private mutating func acceptsInput(now: Double, events: inout [ConnectionEvent]) -> Bool {
        guard !isClosed else { return false }
        if case .handshaking(let machine) = phase, let deadline = machine.deadline, now >= deadline {
            events += tick(now: now)
            return false
        }
        return true
    }

    private mutating func processBuffered(now: Double, events: inout [ConnectionEvent]) {
        do throws(ZTPError) {
            while !isClosed {
                if case .established = phase {
                    guard try receiveSessionFrame(now: now, events: &events) else { return }
                    if case .closed = events.last { phase = .closed }
                } else {
                    guard let frame = try decoder.next() else { return }
                    try receiveHandshakeFrame(frame, now: now, events: &events)
                    if isEstablished { decoder.releaseIfEmpty() }
                }
            }
        } catch {
            fail(error, now: now, events: &events)
        }
    }

    private mutating func receiveHandshakeFrame(_ frame: FrameDecoder.RawFrame, now: Double,
                                                events: inout [ConnectionEvent]) throws(ZTPError) {
        guard case .handshaking(var machine) = phase else { return }
        // The handshake machines write arrays: a few frames per connection, off the hot path.
        var out: [UInt8] = []
        defer { if !out.isEmpty { outbound.writeBytes(out) } }
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
    }

    /// One frame of an established session, opened where it lies in the receive buffer.
    /// False when the next frame is not whole yet.
    private mutating func receiveSessionFrame(now: Double, events: inout [ConnectionEvent]) throws(ZTPError) -> Bool {
        let role = session?.role ?? ""
        let admission = self.admission
        return try withSession { (engine, out, decoder) throws(ZTPError) -> Bool in
            guard let (header, start) = try decoder.nextFrame() else { return false }
            // A handshake frame here is out of its place, which its header shows: a protocol
            // error even if its nonce is also wrong (section 2.0: the type is checked first).
            switch header.type {
            case .handshakeInit, .handshakeAck, .clientHello, .serverHello:
                throw .protocolError(.unexpectedFrame, "\(header.type) after the handshake")
            case .data, .close, .ping, .pong, .windowUpdate, .keyUpdate:
                break
            }
            let plaintext = try decoder.open(header: header, at: start, with: &engine.opener)
            engine.noteReceived(frameBytes: FrameHeader.size + Int(header.length), now: now)
            try engine.receive(header: header, plaintext: plaintext, now: now, admission: { admission($0, role) },
                               out: &out, events: &events)
            return true
        } ?? false
    }

    /// Runs `body` on the engine and the outbound buffer (see `withSession`). Nil when not
    /// established. Generic over the error so that non-throwing bodies need no `try` (E is
    /// then `Never`).
    @discardableResult
    mutating func withEngine<R, E: Error>(_ body: (inout SessionEngine, inout ByteBuffer) throws(E) -> R) throws(E) -> R? {
        try withSession { (engine, out, _) throws(E) -> R in try body(&engine, &out) }
    }

    /// Runs `body` on the engine, the outbound buffer and the decoder, all moved out of `self`
    /// meanwhile: each storage stays uniquely referenced, so the stream table is not copied per
    /// frame, frames are sealed into `out` and opened in the decoder's buffer without a copy.
    /// Nil when not established.
    private mutating func withSession<R, E: Error>(
        _ body: (inout SessionEngine, inout ByteBuffer, inout FrameDecoder) throws(E) -> R
    ) throws(E) -> R? {
        guard case .established(var engine) = phase else { return nil }
        phase = .closed
        var out = outbound
        outbound = ByteBuffer()
        var decoder = self.decoder
        self.decoder = FrameDecoder(sender: Handshake.peerRole)
        defer {
            phase = .established(engine)
            outbound = out
            self.decoder = decoder
        }
        return try body(&engine, &out, &decoder)
    }

    /// Applies a protocol violation: CLOSE first when the rules allow it, then close.
    private mutating func fail(_ error: ZTPError, now: Double, events: inout [ConnectionEvent]) {
        let reason = Frame.closeReason(error.kind.rawValue)
        if !error.alwaysSilent {
            switch phase {
            case .established:
                withEngine { engine, out in engine.seal(.close(stream: 0, code: error.code, reason: reason), now: now, into: &out) }
            case .handshaking(var machine):
                var out: [UInt8] = []
                _ = machine.sealClose(code: error.code, reason: reason, out: &out)
                if !out.isEmpty { outbound.writeBytes(out) }
            case .closed:
                break
            }
        }
        phase = .closed
        events.append(.closed(.protocolError(error)))
    }
}
