import NIOCore

/// What happened to a message handed to `sendData`.
public enum SendOutcome: Equatable, Sendable {
    /// Sealed into the outbound bytes.
    case sent
    /// Held until the peer's window admits it; it will go out in order.
    case queued
    /// The stream is not open (a server cannot open streams; a closed stream takes nothing).
    case streamNotOpen
    /// Larger than `max_frame`.
    case tooLarge
    /// The session's bound on queued bytes is reached; nothing was queued.
    case queueFull
}

extension SessionEngine {
    /// Sends one message as one DATA frame, or queues it behind the window.
    mutating func sendData(stream: UInt32, payload: [UInt8], now: Double, out: inout ByteBuffer) -> SendOutcome {
        guard payload.count <= parameters.maxFrame else { return .tooLarge }
        if streams[stream] == nil {
            // "Only the client opens streams: a DATA frame on an id that is not open opens it."
            guard role == .client, stream >= 1, stream <= FrameType.maxStreamID else { return .streamNotOpen }
            openStream(stream, now: now)
        }
        guard let state = streams[stream] else { return .streamNotOpen }
        if !state.queue.isEmpty || state.sendWindow.available < payload.count {
            guard queuedBytes + payload.count <= limits.queuedBytes else { return .queueFull }
            try? updateStream(stream) { (state: inout StreamState) throws(ZTPError) in state.queue.append(payload) }
            adjustQueuedBytes(by: payload.count)
            return .queued
        }
        payload.withUnsafeBytes { sealData(stream: stream, payload: $0, now: now, out: &out) }
        return .sent
    }

    /// Sends from a caller's buffer without an intermediate array; the window must admit it.
    /// Returns false (sending nothing) when it does not or the stream is not open.
    mutating func sendDataIfWindowAllows(stream: UInt32, payload: UnsafeRawBufferPointer, now: Double, out: inout ByteBuffer) -> Bool {
        if streams[stream] == nil, role == .client, stream >= 1, stream <= FrameType.maxStreamID {
            openStream(stream, now: now)
        }
        // An empty DATA is not a message (section 4), so it need not wait behind queued ones:
        // the keep-alive of a stream whose messages wait for window still goes out.
        guard payload.count <= parameters.maxFrame, let state = streams[stream], state.queue.isEmpty || payload.isEmpty,
              state.sendWindow.available >= payload.count else { return false }
        sealData(stream: stream, payload: payload, now: now, out: &out)
        return true
    }

    private mutating func sealData(stream: UInt32, payload: UnsafeRawBufferPointer, now: Double, out: inout ByteBuffer) {
        try? updateStream(stream) { (state: inout StreamState) throws(ZTPError) in
            try state.sendWindow.consume(payload.count)
            state.lastActivity = now
            state.lastSent = now
            state.bytesOut += UInt64(payload.count)
            state.framesOut += 1
        }
        seal(.data, stream: stream, plaintext: payload, now: now, into: &out)
        floodGuard.dataSent()
    }

    /// Sends queued messages of `stream` that the window now admits. Returns true when the
    /// queue drained completely.
    mutating func flushQueue(stream: UInt32, now: Double, out: inout ByteBuffer) -> Bool {
        guard let state = streams[stream], !state.queue.isEmpty else { return false }
        while let next = streams[stream]?.queue.first, (streams[stream]?.sendWindow.available ?? 0) >= next.count {
            var message: [UInt8] = []
            try? updateStream(stream) { (state: inout StreamState) throws(ZTPError) in message = state.queue.removeFirst() }
            adjustQueuedBytes(by: -message.count)
            message.withUnsafeBytes { sealData(stream: stream, payload: $0, now: now, out: &out) }
        }
        return streams[stream]?.queue.isEmpty ?? false
    }

    /// Ends a stream from this side: CLOSE(stream, code, reason), then no more DATA on it.
    @discardableResult
    mutating func closeStream(_ stream: UInt32, code: CloseCode, reason: String, now: Double, out: inout ByteBuffer) -> Bool {
        guard removeStream(stream) != nil else { return false }
        seal(.close(stream: stream, code: code, reason: Frame.closeReason(reason)), now: now, into: &out)
        return true
    }
}
