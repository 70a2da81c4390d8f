extension SessionEngine {
    /// Applies every rule that depends on time alone and returns when it next needs a look.
    ///
    /// Server: streams idle for `stream_idle_timeout` get CLOSE(IDLE_TIMEOUT); a session that
    /// received nothing for 3 x `heartbeat_interval` is closed with IDLE_TIMEOUT (section 5).
    /// Client: PING after `heartbeat_interval` of silence, empty DATA on listening streams.
    /// Both: KEY_UPDATE once the current send key is an hour old.
    mutating func tick(now: Double, out: inout [UInt8], events: inout [ConnectionEvent]) {
        let heartbeat = Double(parameters.heartbeatInterval)
        // "The server closes a session with IDLE_TIMEOUT when no frame at all arrived for
        // 3 x heartbeat_interval." Server only: a client listening on a quiet stream sends empty
        // DATA, which gets no reply, so it may legitimately hear nothing for that long.
        if role == .server, now - lastReceived >= 3 * heartbeat {
            seal(.close(stream: 0, code: .idleTimeout, reason: Frame.closeReason("idle")), now: now, into: &out)
            events.append(.closed(.local(.idleTimeout)))
            return
        }
        if keyUpdateDue(now: now) {
            sendKeyUpdate(now: now, into: &out)
        }
        switch role {
        case .server:
            let idle = Double(parameters.streamIdleTimeout)
            let expired = streams.values.filter { now - $0.lastActivity >= idle }.map(\.id).sorted()
            for id in expired {
                closeStream(id, code: .idleTimeout, reason: "idle", now: now, out: &out)
                events.append(.streamClosed(id, .idleTimeout, reason: "idle", byPeer: false))
            }
        case .client:
            for id in streams.keys.sorted() where now - (streams[id]?.lastSent ?? now) >= heartbeat {
                // "A client that listens on a stream without writing to it sends an empty DATA
                // on it every heartbeat_interval seconds."
                _ = sendDataIfWindowAllows(stream: id, payload: UnsafeRawBufferPointer(start: nil, count: 0), now: now, out: &out)
            }
            if now - lastSent >= heartbeat {
                ping(SecureRandom.bytes(8), now: now, into: &out)
            }
        }
    }

    /// The earliest time `tick` has something to do.
    func nextDeadline() -> Double {
        let heartbeat = Double(parameters.heartbeatInterval)
        var deadline = keyUpdateDeadline
        switch role {
        case .server:
            deadline = min(deadline, lastReceived + 3 * heartbeat)
            let idle = Double(parameters.streamIdleTimeout)
            for state in streams.values { deadline = min(deadline, state.lastActivity + idle) }
        case .client:
            deadline = min(deadline, lastSent + heartbeat)
            for state in streams.values { deadline = min(deadline, state.lastSent + heartbeat) }
        }
        return deadline
    }
}
