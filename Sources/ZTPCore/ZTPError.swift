/// Every way the protocol core can refuse input, with the close code it maps to.
///
/// The core never traps on peer input: each violation becomes one of these values, and the
/// connection decides from `silent` whether the peer gets a CLOSE frame first (ZTP-1 section 2.0).
public struct ZTPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable label for metrics and tests.
    public enum Kind: String, Sendable, CaseIterable {
        case badVersion = "bad_version"
        case unknownFrameType = "unknown_type"
        case wrongStream = "wrong_stream"
        case wrongSide = "wrong_side"
        case lengthLimit = "length_limit"
        case helloNonce = "hello_nonce"
        case unexpectedFrame = "unexpected_frame"
        case nonceMismatch = "nonce_mismatch"
        case decryptFailed = "decrypt_failed"
        case badPayload = "bad_payload"
        case flowControl = "flow_control"
        case zeroIncrement = "zero_increment"
        case lowOrderKey = "low_order_key"
        case badServerSignature = "bad_server_signature"
        case untrustedServerKey = "untrusted_server_key"
        /// A control-frame budget ran out (`FloodGuard`); the CLOSE reason names which.
        case pingFlood = "ping_flood"
        case emptyDataFlood = "empty_data_flood"
        case windowUpdateFlood = "window_update_flood"
        case streamChurn = "stream_churn"
        case keyUpdateFlood = "key_update_flood"
        /// HANDSHAKE_ACK named another session than the one the client derived (section 3.6).
        case sessionMismatch = "session_mismatch"
    }

    public var kind: Kind
    public var code: CloseCode
    /// For people reading logs; never contains key material or token contents.
    public var diagnostic: String

    /// True when the rule says "close TCP, send nothing" regardless of keys: a bad version,
    /// a nonce mismatch, a frame that fails to open, or a failure while verifying the server.
    public var alwaysSilent: Bool {
        switch kind {
        case .badVersion, .nonceMismatch, .decryptFailed, .lowOrderKey, .badServerSignature, .untrustedServerKey:
            return true
        case .unknownFrameType, .wrongStream, .wrongSide, .lengthLimit, .helloNonce, .unexpectedFrame,
             .badPayload, .flowControl, .zeroIncrement, .pingFlood, .emptyDataFlood, .windowUpdateFlood,
             .streamChurn, .keyUpdateFlood, .sessionMismatch:
            return false
        }
    }

    public var description: String { "\(kind.rawValue) (\(code.name)): \(diagnostic)" }

    init(_ kind: Kind, _ code: CloseCode = .protocolError, _ diagnostic: String) {
        self.kind = kind
        self.code = code
        self.diagnostic = diagnostic
    }

    static func protocolError(_ kind: Kind, _ diagnostic: String) -> ZTPError {
        ZTPError(kind, .protocolError, diagnostic)
    }
}
