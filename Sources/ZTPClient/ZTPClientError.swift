import ZTPCore

/// Why a client operation failed, in terms a user can act on.
public struct ZTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: Equatable, Sendable {
        /// TCP connect failed.
        case connectionFailed
        /// The server's identity key is not the one we trust (nothing was sent after CLIENT_HELLO).
        case serverKeyMismatch
        /// SERVER_HELLO's signature did not verify.
        case badServerSignature
        /// The server closed the session, or refused the handshake, with this CLOSE code.
        case closedByServer(CloseCode)
        /// The server closed one stream with this code.
        case streamClosed(CloseCode)
        /// The server broke the protocol, or its frames failed to open.
        case protocolError
        /// The handshake did not finish in time, or the server went silent.
        case timeout
        /// The connection ended without a CLOSE.
        case disconnected
        /// The message is larger than max_frame (65,536 bytes).
        case messageTooLarge
        /// This side closed the connection or the stream.
        case closedLocally
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    static func from(_ reason: ConnectionCloseReason) -> ZTPClientError {
        switch reason {
        case .peerClosed(.tokenExpired, _):
            return ZTPClientError(.closedByServer(.tokenExpired), "closed by server: TOKEN_EXPIRED: the token has expired; get a new token")
        case .peerClosed(let code, let text):
            return ZTPClientError(.closedByServer(code), "closed by server: \(code.name)" + (text.isEmpty ? "" : " (\(text))"))
        case .local(let code):
            return ZTPClientError(.closedLocally, "closed by this client: \(code.name)")
        case .protocolError(let error):
            switch error.kind {
            case .untrustedServerKey: return ZTPClientError(.serverKeyMismatch, "server key mismatch: \(error.diagnostic)")
            case .badServerSignature: return ZTPClientError(.badServerSignature, "server signature does not verify")
            default: return ZTPClientError(.protocolError, "protocol error: \(error)")
            }
        case .timeout:
            return ZTPClientError(.timeout, "timed out")
        }
    }
}
