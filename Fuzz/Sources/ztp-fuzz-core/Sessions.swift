import ZTPCore

/// Real sessions run in memory between a client and a server connection built from the
/// fixtures; what each side wrote is recorded and becomes seed input for the targets.
struct RecordedSession {
    var clientToServer: [UInt8] = []
    var serverToClient: [UInt8] = []
}

/// One step a session script takes once the handshake is done.
enum ClientAction {
    /// What the client target's harness sends as soon as it is established, so that the
    /// server's frames on streams 1 and 2 in the seeds land on streams the client opened.
    static let opening: [ClientAction] = [.send(stream: 1, bytes: 2), .send(stream: 2, bytes: 2)]

    case send(stream: UInt32, bytes: Int)
    case closeStream(UInt32)
    case ping
    case keyUpdate
    case close
    case wait(Double)
}

enum ServerAction {
    case send(stream: UInt32, bytes: Int)
    case closeStream(UInt32)
    case ping
    case keyUpdate
    case close(CloseCode)
}

func record(token: [UInt8] = Fixtures.token(), client actions: [ClientAction] = [], server serverActions: [ServerAction] = []) -> RecordedSession {
    var client = Fixtures.client(token: token)
    var server = Fixtures.server()
    var session = RecordedSession()
    var now = Fixtures.start

    func exchange() {
        for _ in 0..<16 {
            let up = client.takeOutbound()
            let down = server.takeOutbound()
            if up.isEmpty && down.isEmpty { return }
            session.clientToServer += up
            session.serverToClient += down
            if !up.isEmpty { _ = server.receive(up, now: now) }
            if !down.isEmpty { _ = client.receive(down, now: now) }
        }
    }

    exchange()
    guard client.isEstablished else { return session }
    for action in ClientAction.opening + actions {
        switch action {
        case .send(let stream, let bytes): _ = client.sendData(stream: stream, payload: pattern(bytes), now: now)
        case .closeStream(let stream): client.closeStream(stream, code: .normal, reason: "done", now: now)
        case .ping: client.ping([8, 7, 6, 5, 4, 3, 2, 1], now: now)
        case .keyUpdate: client.updateSendKey(now: now)
        case .close: client.close(code: .normal, reason: "bye", now: now)
        case .wait(let seconds):
            now += seconds
            _ = client.tick(now: now)
            _ = server.tick(now: now)
        }
        exchange()
    }
    for action in serverActions {
        switch action {
        case .send(let stream, let bytes): _ = server.sendData(stream: stream, payload: pattern(bytes), now: now)
        case .closeStream(let stream): server.closeStream(stream, code: .normal, reason: "done", now: now)
        case .ping: server.ping([1, 2, 3, 4, 5, 6, 7, 8], now: now)
        case .keyUpdate: server.updateSendKey(now: now)
        case .close(let code): server.close(code: code, reason: "bye", now: now)
        }
        exchange()
    }
    return session
}

func pattern(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
}

/// The session scripts the seeds come from: the handshake alone, chat, control, flow control,
/// pings, key updates, stream closes, a refused token, a full window.
func seedSessions() -> [RecordedSession] {
    [
        record(),
        record(client: [.send(stream: 1, bytes: 5)]),
        record(client: [.send(stream: 2, bytes: 6), .closeStream(2)]),
        record(client: [.ping, .keyUpdate, .send(stream: 1, bytes: 100), .close]),
        record(client: [.send(stream: 1, bytes: 3000), .send(stream: 1, bytes: 3000)]),
        record(client: [.send(stream: 3, bytes: 4)]),
        record(client: [.send(stream: 1, bytes: 1), .send(stream: 2, bytes: 1), .wait(20), .wait(20)]),
        record(token: Fixtures.token(Fixtures.claims(jti: Fixtures.revokedTokenID))),
        record(token: Fixtures.token(Fixtures.claims(role: "observer")), client: [.send(stream: 1, bytes: 2)]),
        record(token: Array("not.a.token".utf8)),
        record(client: [.send(stream: 1, bytes: 10)], server: [.send(stream: 1, bytes: 20), .ping, .keyUpdate]),
        record(client: [.send(stream: 2, bytes: 10)], server: [.send(stream: 2, bytes: 5000), .closeStream(2)]),
        record(server: [.close(.terminated)]),
    ]
}
