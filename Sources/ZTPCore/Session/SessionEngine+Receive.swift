import NIOCore

extension SessionEngine {
    /// Handles one opened frame of an established session, its plaintext a slice of the receive
    /// buffer. DATA and WINDOW_UPDATE, the frames of steady traffic, are read from the slice
    /// without a copy; the other control frames are parsed into a `Frame`.
    mutating func receive(header: FrameHeader, plaintext: ByteBuffer, now: Double, admission: (UInt32) -> CloseCode?,
                          out: inout ByteBuffer, events: inout [ConnectionEvent]) throws(ZTPError) {
        switch header.type {
        case .data:
            try receiveData(stream: header.streamID, payload: plaintext, now: now, admission: admission, out: &out, events: &events)
        case .windowUpdate:
            // Sizes were checked on the header: the payload is the 4-byte increment.
            let increment = plaintext.getInteger(at: plaintext.readerIndex, as: UInt32.self) ?? 0
            try receiveControl(Frame.windowUpdate(header: header, increment: increment), now: now, out: &out, events: &events)
        default:
            try receiveControl(Frame(header: header, plaintext: Array(buffer: plaintext)), now: now, out: &out, events: &events)
        }
    }

    /// Handles one parsed control frame of an established session (DATA never comes here).
    private mutating func receiveControl(_ frame: Frame, now: Double, out: inout ByteBuffer,
                                         events: inout [ConnectionEvent]) throws(ZTPError) {
        switch frame {
        case .data:
            preconditionFailure("DATA is received from the buffer, in receive(header:plaintext:)")
        case .close(0, let code, let reason):
            events.append(.closed(.peerClosed(code, reason: String(decoding: reason, as: UTF8.self))))
        case .close(let stream, let code, let reason):
            try floodGuard.record(.streamChurn, now: now)
            // "WINDOW_UPDATE or CLOSE for a stream that is not open is ignored (it may cross a close)."
            if removeStream(stream) != nil {
                events.append(.streamClosed(stream, code, reason: String(decoding: reason, as: UTF8.self), byPeer: true))
            }
        case .windowUpdate(let stream, let increment):
            try floodGuard.record(.windowUpdate, now: now)
            try receiveWindowUpdate(stream: stream, increment: Int(increment), now: now, out: &out, events: &events)
        case .ping(let opaque):
            try floodGuard.record(.ping, now: now)
            seal(.pong(opaque: opaque), now: now, into: &out)
        case .pong(let opaque):
            // "A PONG that answers no PING is ignored."
            if matchPong(opaque) { events.append(.pong(opaque)) }
        case .keyUpdate:
            try floodGuard.record(.keyUpdate, now: now)
            noteKeyUpdateReceived()
        case .handshakeInit, .handshakeAck, .clientHello, .serverHello:
            throw .protocolError(.unexpectedFrame, "\(frame.type) after the handshake")
        }
    }

    private mutating func receiveData(stream: UInt32, payload: ByteBuffer, now: Double, admission: (UInt32) -> CloseCode?,
                                      out: inout ByteBuffer, events: inout [ConnectionEvent]) throws(ZTPError) {
        if payload.readableBytes == 0 { try floodGuard.record(.emptyData, now: now) }
        if streams[stream] == nil {
            switch role {
            case .client:
                // "DATA that arrives at the client for a stream it has closed is discarded."
                return
            case .server:
                try floodGuard.record(.streamChurn, now: now)
                // Section 4: unknown handler, then role, then max_streams; the session goes on.
                let refusal = admission(stream) ?? (streams.count >= parameters.maxStreams ? .tooManyStreams : nil)
                if let refusal {
                    let close = Frame.close(stream: stream, code: refusal, reason: Frame.closeReason(refusal.name.lowercased()))
                    seal(close, now: now, into: &out)
                    events.append(.streamRejected(stream, refusal))
                    return
                }
                openStream(stream, now: now)
                events.append(.streamOpened(stream))
            }
        }
        var credit: Int?
        let automatic = limits.automaticCredit
        let count = payload.readableBytes
        try updateStream(stream) { (state: inout StreamState) throws(ZTPError) in
            try state.receiveWindow.consume(count)
            state.lastActivity = now
            state.bytesIn += UInt64(count)
            state.framesIn += 1
            if automatic, count > 0, let increment = state.credit.consume(count) {
                try state.receiveWindow.grant(increment)
                credit = increment
            }
        }
        if let credit {
            seal(.windowUpdate(stream: stream, increment: UInt32(credit)), now: now, into: &out)
        }
        if count > 0 {
            events.append(.data(stream: stream, payload: payload))
        }
    }

    private mutating func receiveWindowUpdate(stream: UInt32, increment: Int, now: Double,
                                              out: inout ByteBuffer, events: inout [ConnectionEvent]) throws(ZTPError) {
        guard streams[stream] != nil else { return }
        try updateStream(stream) { (state: inout StreamState) throws(ZTPError) in
            try state.sendWindow.grant(increment)
        }
        if flushQueue(stream: stream, now: now, out: &out) {
            events.append(.streamWritable(stream))
        }
    }

    /// The application consumed `count` bytes of `stream`; returns credit to the peer when due.
    /// Only needed when credit is not automatic (a client whose reader may stall).
    mutating func consumed(stream: UInt32, count: Int, now: Double, out: inout ByteBuffer) {
        var credit: Int?
        try? updateStream(stream) { (state: inout StreamState) throws(ZTPError) in
            if let increment = state.credit.consume(count) {
                try state.receiveWindow.grant(increment)
                credit = increment
            }
        }
        if let credit {
            seal(.windowUpdate(stream: stream, increment: UInt32(credit)), now: now, into: &out)
        }
    }
}
