import NIOCore

/// The part of a ZTP session that both roles share once the handshake is done: the cipher
/// pair, the stream table with flow control, heartbeats, idle rules and key updates.
///
/// Sans-IO: frames come in as decoded raw frames with the current time, outbound bytes are
/// appended to a buffer the caller drains, and everything the application must know comes
/// back as `ConnectionEvent`s. Peer violations throw `ZTPError`; the connection maps them to
/// a CLOSE or a silent close.
struct SessionEngine: Sendable {
    let role: Role
    let parameters: SessionParameters
    let limits: SessionLimits
    var sealer: FrameSealer
    var opener: FrameOpener
    /// Open streams by id.
    private(set) var streams: [UInt32: StreamState] = [:]
    private(set) var queuedBytes = 0
    private(set) var lastReceived: Double
    private(set) var lastSent: Double
    private var sendKeySince: Double
    /// Key updates sent and received so far.
    private(set) var sendKeyEpoch = 0
    private(set) var receiveKeyEpoch = 0
    private(set) var statistics = SessionStatistics()
    /// PING payloads sent and not yet answered (a few at most; see `ping`).
    private var outstandingPings: [[UInt8]] = []
    /// When this side last sent a PING (the client pings a silent server once per heartbeat).
    var lastPing: Double
    /// Server: when the token expires and the session with it (section 5).
    let endsAt: Double?
    /// The peer's budgets for frames that move no data.
    var floodGuard: FloodGuard

    init(role: Role, parameters: SessionParameters, limits: SessionLimits, sealer: FrameSealer, opener: FrameOpener, now: Double,
         endsAt: Double? = nil) {
        self.role = role
        self.parameters = parameters
        self.limits = limits
        self.sealer = sealer
        self.opener = opener
        self.endsAt = endsAt
        lastReceived = now
        lastSent = now
        lastPing = now
        sendKeySince = now
        floodGuard = FloodGuard(limits.floods, now: now)
    }

    /// Seals one frame into `out`, keeping counters and the key-update rule in one place.
    mutating func seal(_ type: FrameType, stream: UInt32, plaintext: UnsafeRawBufferPointer, now: Double, into out: inout ByteBuffer) {
        let before = out.writerIndex
        sealer.seal(type: type, streamID: stream, plaintext: plaintext, appendingTo: &out)
        statistics.framesOut += 1
        statistics.bytesOut += UInt64(out.writerIndex - before)
        lastSent = now
        if type == .keyUpdate {
            sendKeyEpoch += 1
            sendKeySince = now
        } else if sealer.sequence >= limits.keyUpdateFrames {
            sendKeyUpdate(now: now, into: &out)
        }
    }

    mutating func seal(_ frame: Frame, now: Double, into out: inout ByteBuffer) {
        frame.withPlaintext { seal(frame.type, stream: frame.streamID, plaintext: $0, now: now, into: &out) }
    }

    mutating func sendKeyUpdate(now: Double, into out: inout ByteBuffer) {
        seal(.keyUpdate, stream: 0, plaintext: UnsafeRawBufferPointer(start: nil, count: 0), now: now, into: &out)
    }

    /// Sends a PING with these 8 bytes; the matching PONG comes back as `.pong`.
    mutating func ping(_ opaque: [UInt8], now: Double, into out: inout ByteBuffer) {
        precondition(opaque.count == 8)
        // Remember a handful; older unanswered ones are forgotten (a PONG for them is ignored).
        if outstandingPings.count >= 8 { outstandingPings.removeFirst() }
        outstandingPings.append(opaque)
        lastPing = now
        seal(.ping(opaque: opaque), now: now, into: &out)
    }

    mutating func matchPong(_ opaque: [UInt8]) -> Bool {
        guard let index = outstandingPings.firstIndex(of: opaque) else { return false }
        outstandingPings.remove(at: index)
        return true
    }

    mutating func noteReceived(frameBytes: Int, now: Double) {
        statistics.framesIn += 1
        statistics.bytesIn += UInt64(frameBytes)
        lastReceived = now
    }

    mutating func noteKeyUpdateReceived() {
        receiveKeyEpoch += 1
    }

    func keyUpdateDue(now: Double) -> Bool {
        now - sendKeySince >= limits.keyUpdateSeconds
    }

    var keyUpdateDeadline: Double { sendKeySince + limits.keyUpdateSeconds }

    // MARK: Stream table

    mutating func openStream(_ id: UInt32, now: Double) {
        precondition(streams[id] == nil, "stream \(id) is already open")
        streams[id] = StreamState(id: id, window: parameters.streamWindow, now: now)
        statistics.streamsOpened += 1
    }

    /// Forgets a stream and any messages it still had queued.
    @discardableResult
    mutating func removeStream(_ id: UInt32) -> StreamState? {
        guard let state = streams.removeValue(forKey: id) else { return nil }
        queuedBytes -= state.queuedBytes
        return state
    }

    mutating func updateStream(_ id: UInt32, _ body: (inout StreamState) throws(ZTPError) -> Void) throws(ZTPError) {
        // One hash look-up, then the value is changed where it lies (`values`' subscript
        // modifies in place): no removal and re-insertion per frame, no copy of the table.
        guard let index = streams.index(forKey: id) else { return }
        try body(&streams.values[index])
    }

    mutating func adjustQueuedBytes(by delta: Int) {
        queuedBytes += delta
    }
}

/// Session-wide counters for the management API and metrics.
public struct SessionStatistics: Equatable, Sendable, Codable {
    public var bytesIn: UInt64 = 0
    public var bytesOut: UInt64 = 0
    public var framesIn: UInt64 = 0
    public var framesOut: UInt64 = 0
    public var streamsOpened: UInt64 = 0

    public init() {}
}
