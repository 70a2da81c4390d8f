import NIOCore

extension SessionEngine {
    /// Applies every rule that depends on time alone and returns when it next needs a look.
    ///
    /// Both: a session that received nothing for 3 x `heartbeat_interval` is closed with
    /// IDLE_TIMEOUT (section 5); the server also ends it when its token expires.
    /// Server: streams idle for `stream_idle_timeout` get CLOSE(IDLE_TIMEOUT).
    /// Client: PING after `heartbeat_interval` of silence, empty DATA on listening streams.
    /// Both: KEY_UPDATE once the current send key is an hour old.
    mutating func tick(now: Double, out: inout ByteBuffer, events: inout [ConnectionEvent]) {
        let heartbeat = Double(parameters.heartbeatInterval)
        // "A session lasts no longer than its token: when exp passes, the server sends
        // CLOSE(0, TOKEN_EXPIRED) and closes."
        if let endsAt, now >= endsAt {
            seal(.close(stream: 0, code: .tokenExpired, reason: Frame.closeReason("token expired")), now: now, into: &out)
            events.append(.closed(.local(.tokenExpired)))
            return
        }
        // "The server closes a session with IDLE_TIMEOUT when no frame at all arrived for
        // 3 x heartbeat_interval." The client's side of the same rule: "A client that has heard
        // nothing from the server for 3 x heartbeat_interval (its own PINGs unanswered) SHOULD
        // close the session with IDLE_TIMEOUT and report the server as unreachable."
        if now - lastReceived >= 3 * heartbeat {
            seal(.close(stream: 0, code: .idleTimeout, reason: Frame.closeReason("idle")), now: now, into: &out)
            events.append(.closed(role == .server ? .local(.idleTimeout) : .timeout))
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
            // A PING after a heartbeat without sending, and after one without hearing anything:
            // keep-alive DATA gets no reply, so only a PING shows that the server is still there.
            if now - lastSent >= heartbeat || (now - lastReceived >= heartbeat && now - lastPing >= heartbeat) {
                ping(SecureRandom.bytes(8), now: now, into: &out)
            }
        }
    }

    /// The earliest time `tick` has something to do.
    func nextDeadline() -> Double {
        let heartbeat = Double(parameters.heartbeatInterval)
        var deadline = min(keyUpdateDeadline, lastReceived + 3 * heartbeat)
        if let endsAt { deadline = min(deadline, endsAt) }
        switch role {
        case .server:
            let idle = Double(parameters.streamIdleTimeout)
            for state in streams.values { deadline = min(deadline, state.lastActivity + idle) }
        case .client:
            deadline = min(deadline, lastSent + heartbeat, max(lastReceived, lastPing) + heartbeat)
            for state in streams.values { deadline = min(deadline, state.lastSent + heartbeat) }
        }
        return deadline
    }
}
