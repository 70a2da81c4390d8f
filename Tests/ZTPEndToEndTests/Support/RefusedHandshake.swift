import Foundation
import ZTPCore

/// Runs one real handshake with `token` from `source` and returns the code the server refused
/// it with. Throws if the server accepts the token, or ends the connection without a CLOSE.
func refusedHandshake(_ server: ServerProcess, token: String, from source: String? = nil) async throws -> CloseCode {
    let raw = try await RawConnection.connect(port: server.port, from: source)
    var connection = ClientConnection(token: Array(token.utf8), trust: .pinned(server.serverKey),
                                      now: clockNow(), handshakeTimeout: nil)
    do {
        try await raw.send(connection.takeOutbound())
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let closed = raw.isClosedByPeer
            let bytes = raw.take()
            if !bytes.isEmpty {
                let events = connection.receive(bytes, now: clockNow())
                let outbound = connection.takeOutbound()
                if !outbound.isEmpty { await raw.sendIgnoringErrors(outbound) }
                for event in events {
                    switch event {
                    case .closed(let reason):
                        await raw.close()
                        return reason.code
                    case .established:
                        throw E2EFailure("the server accepted the token")
                    default:
                        break
                    }
                }
            } else if closed {
                throw E2EFailure("the server closed the connection without a CLOSE")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw E2EFailure("the handshake did not end within 10 s")
    } catch {
        await raw.close()
        throw error
    }
}
