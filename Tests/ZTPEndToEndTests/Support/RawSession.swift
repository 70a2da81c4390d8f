import NIOCore
import ZTPCore

/// A ZTP client made from the core's `ClientConnection` on a `RawConnection`: a real handshake,
/// then the test has every frame in hand to send, hold back, repeat, reorder or damage.
///
/// Time is never fed to the core (`tick` is not called), so this client sends no PINGs or
/// keep-alives of its own: it goes silent unless the test sends something.
final class RawSession {
    let raw: RawConnection
    private(set) var connection: ClientConnection
    /// What the server said in HANDSHAKE_ACK.
    let info: SessionInfo
    /// Events from the server not yet looked at.
    private(set) var events: [ConnectionEvent] = []

    private init(raw: RawConnection, connection: ClientConnection, info: SessionInfo) {
        self.raw = raw
        self.connection = connection
        self.info = info
    }

    /// Connects and completes the handshake.
    static func open(_ server: ServerProcess, token: String? = nil, from source: String? = nil) async throws -> RawSession {
        let raw = try await RawConnection.connect(port: server.port, from: source)
        var connection = ClientConnection(token: Array((token ?? server.token(client: "raw", role: "user")).utf8),
                                          trust: .pinned(server.serverKey), now: clockNow(), handshakeTimeout: nil)
        try await raw.send(connection.takeOutbound())
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let bytes = raw.take()
            if !bytes.isEmpty {
                let events = connection.receive(bytes, now: clockNow())
                let outbound = connection.takeOutbound()
                if !outbound.isEmpty { try await raw.send(outbound) }
                for event in events {
                    switch event {
                    case .established(let info):
                        return RawSession(raw: raw, connection: connection, info: info)
                    case .closed(let reason):
                        throw E2EFailure("handshake refused: \(reason)")
                    default:
                        break
                    }
                }
            } else if raw.isClosedByPeer {
                throw E2EFailure("server closed the connection during the handshake")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw E2EFailure("handshake did not finish within 5 s")
    }

    /// Seals a DATA frame with the next sequence number and returns its bytes without sending.
    func sealData(_ payload: [UInt8], on stream: UInt32) throws -> [UInt8] {
        let outcome = connection.sendData(stream: stream, payload: payload, now: clockNow())
        guard outcome == .sent else { throw E2EFailure("could not seal DATA on stream \(stream): \(outcome)") }
        return connection.takeOutbound()
    }

    func sealData(_ text: String, on stream: UInt32) throws -> [UInt8] {
        try sealData(Array(text.utf8), on: stream)
    }

    /// Seals and sends a PING (keeps the session, not any stream, alive).
    func sendPing() async throws {
        connection.ping([1, 2, 3, 4, 5, 6, 7, 8], now: clockNow())
        try await raw.send(connection.takeOutbound())
    }

    /// Lets the test drive the core directly (frames it seals go out with `flush`).
    func withConnection<T>(_ body: (inout ClientConnection) -> T) -> T {
        body(&connection)
    }

    /// Sends whatever the core has sealed so far.
    func flush() async throws {
        let bytes = connection.takeOutbound()
        if !bytes.isEmpty { try await raw.send(bytes) }
    }

    /// Sends KEY_UPDATE and moves this side to its next send key (section 5).
    func sendKeyUpdate() async throws {
        connection.updateSendKey(now: clockNow())
        try await raw.send(connection.takeOutbound())
    }

    func send(_ bytes: [UInt8]) async throws {
        try await raw.send(bytes)
    }

    /// Feeds what has arrived to the core and returns the new events (also kept in `events`).
    @discardableResult
    func pump() -> [ConnectionEvent] {
        let bytes = raw.take()
        guard !bytes.isEmpty else { return [] }
        let new = connection.receive(bytes, now: clockNow())
        events += new
        // What the core answers on its own (PONG, WINDOW_UPDATE) is dropped: tests decide what goes out.
        _ = connection.takeOutbound()
        return new
    }

    /// Waits for an event that matches, pumping as bytes arrive; the events before it are
    /// consumed. Throws on timeout.
    func waitFor(_ what: String, within timeout: Duration,
                 where matches: (ConnectionEvent) -> Bool) async throws -> ConnectionEvent {
        let deadline = ContinuousClock.now + timeout
        while true {
            pump()
            if let index = events.firstIndex(where: matches) {
                let event = events[index]
                events.removeFirst(index + 1)
                return event
            }
            if ContinuousClock.now >= deadline {
                throw E2EFailure("no \(what) within \(timeout); events: \(events)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Sends a control request on stream 2 and waits for its reply.
    func request(_ text: String) async throws -> String {
        try await send(try sealData(text, on: 2))
        let event = try await waitFor("reply to '\(text)'", within: .seconds(5)) {
            if case .data(2, _) = $0 { return true }
            return false
        }
        guard case .data(_, let payload) = event else { preconditionFailure("matched DATA") }
        return String(buffer: payload)
    }

    func close() async {
        await raw.close()
    }
}

/// Monotonic seconds, the time base the core wants.
func clockNow() -> Double {
    Double(NIODeadline.now().uptimeNanoseconds) / 1e9
}
