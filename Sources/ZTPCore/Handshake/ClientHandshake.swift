/// The client's handshake (ZTP-1 section 3): CLIENT_HELLO -> verify SERVER_HELLO (signature
/// and pinned key) -> HANDSHAKE_INIT with the token -> HANDSHAKE_ACK, or the server's CLOSE.
public struct ClientHandshake: HandshakeMachine {
    public static let peerRole = Role.server
    public static let localRole = Role.client

    /// How the client decides to trust the server's identity key (section 3.2).
    public enum ServerTrust: Sendable {
        /// Only this Ed25519 public key.
        case pinned([UInt8])
        /// Ask: a known-servers file, trust on first use where the user chose it.
        case custom(@Sendable (_ serverKey: [UInt8]) -> Bool)

        func accepts(_ key: [UInt8]) -> Bool {
            switch self {
            case .pinned(let pinned): return ConstantTime.equal(pinned, key)
            case .custom(let decide): return decide(key)
            }
        }
    }

    private enum State: Sendable {
        /// CLIENT_HELLO sent; waiting for SERVER_HELLO.
        case awaitingServerHello(clientHello: [UInt8], ephemeral: X25519.KeyPair)
        /// HANDSHAKE_INIT sent; waiting for HANDSHAKE_ACK or CLOSE.
        case awaitingAck(sealer: FrameSealer, opener: FrameOpener, serverKey: [UInt8], sessionID: String)
        case done
    }

    private let token: [UInt8]
    private let trust: ServerTrust
    private let limits: SessionLimits
    private var state: State
    public let deadline: Double?
    /// The server's identity key once SERVER_HELLO verified.
    public private(set) var serverKey: [UInt8]?

    /// Creates the machine and writes CLIENT_HELLO to `out`.
    public init(token: [UInt8], trust: ServerTrust, limits: SessionLimits = SessionLimits(), now: Double,
                timeout: Double? = nil, ephemeral: X25519.KeyPair = X25519.KeyPair(), out: inout [UInt8]) {
        self.token = token
        self.trust = trust
        self.limits = limits
        let clientHello = FrameHeader(type: .clientHello, streamID: 0, sequence: 0, length: 32).bytes + ephemeral.publicKey
        out += clientHello
        state = .awaitingServerHello(clientHello: clientHello, ephemeral: ephemeral)
        deadline = timeout.map { now + $0 }
    }

    public mutating func receive(_ frame: FrameDecoder.RawFrame, now: Double, out: inout [UInt8]) throws(ZTPError) -> HandshakeStep {
        switch state {
        case .awaitingServerHello(let clientHello, let ephemeral):
            guard frame.header.type == .serverHello else {
                throw ZTPError(.unexpectedFrame, .protocolError, "\(frame.header.type) before SERVER_HELLO")
            }
            try receiveServerHello(frame, clientHello: clientHello, ephemeral: ephemeral, out: &out)
            return .pending
        case .awaitingAck(let sealer, var opener, _, let sessionID):
            // Only HANDSHAKE_ACK or CLOSE(0) may come now; the header shows it before the nonce
            // is checked (section 2.0), so anything else gets CLOSE(PROTOCOL_ERROR).
            let type = frame.header.type
            guard type == .handshakeAck || (type == .close && frame.header.streamID == 0) else {
                throw .protocolError(.unexpectedFrame, "\(type) before HANDSHAKE_ACK")
            }
            let plaintext = try opener.open(frame)
            state = .done
            switch try Frame(header: frame.header, plaintext: plaintext) {
            case .handshakeAck(let parameters):
                let ack = try HandshakeAcknowledgement(parsing: parameters)
                // "The client MUST check that session equals the sid it derived; otherwise it
                // is a protocol error (CLOSE with PROTOCOL_ERROR under k_c2s)." The throw leaves
                // the machine as it was before this frame, so the connection can seal that CLOSE.
                guard ConstantTime.equal(Array(ack.sessionID.utf8), Array(sessionID.utf8)) else {
                    throw .protocolError(.sessionMismatch, "HANDSHAKE_ACK names another session")
                }
                let info = SessionInfo(sessionID: ack.sessionID, clientID: ack.clientID, role: ack.role,
                                       tokenID: "", tokenExpiresAt: 0, parameters: ack.parameters)
                return .established(info, sealer: sealer, opener: opener, limits: limits, endsAt: nil)
            case .close(0, let code, let reason):
                return .rejected(.peerClosed(code, reason: String(decoding: reason, as: UTF8.self)))
            default:
                throw .protocolError(.unexpectedFrame, "\(frame.header.type) before HANDSHAKE_ACK")
            }
        case .done:
            preconditionFailure("the connection stops feeding a finished handshake")
        }
    }

    private mutating func receiveServerHello(_ frame: FrameDecoder.RawFrame, clientHello: [UInt8], ephemeral: X25519.KeyPair,
                                             out: inout [UInt8]) throws(ZTPError) {
        let payload = Array(frame.payload)
        let serverEphemeral = Array(payload[0..<32])
        let identityKey = Array(payload[32..<64])
        let signature = Array(payload[64..<128])
        let head = Array(frame.bytes.prefix(FrameHeader.size + 64))
        // "Before it sends anything else the client MUST verify sig, and MUST check S_pub
        // against the key it trusts for this server. On failure it closes TCP and sends nothing."
        guard Ed25519.verify(signature: signature, message: KeySchedule.signedMessage(clientHello: clientHello, serverHelloHead: head),
                             publicKey: identityKey) else {
            throw ZTPError(.badServerSignature, .protocolError, "SERVER_HELLO signature does not verify")
        }
        guard trust.accepts(identityKey) else {
            throw ZTPError(.untrustedServerKey, .protocolError, "server key \(identityKey.lowercaseHex) is not the trusted key")
        }
        guard let dh = X25519.sharedSecret(privateKey: ephemeral.privateKey, peerPublicKey: serverEphemeral) else {
            throw ZTPError(.lowOrderKey, .protocolError, "server key gives an all-zero secret")
        }
        serverKey = identityKey
        let keys = KeySchedule(dh: dh, clientHello: clientHello, serverHello: Array(frame.bytes))
        var sealer = FrameSealer(key: keys.clientToServer)
        sealer.seal(.handshakeInit(token: token), appendingTo: &out)
        state = .awaitingAck(sealer: sealer, opener: FrameOpener(key: keys.serverToClient), serverKey: identityKey,
                             sessionID: keys.sessionIDHex)
    }

    public mutating func sealClose(code: CloseCode, reason: [UInt8], out: inout [UInt8]) -> Bool {
        guard case .awaitingAck(var sealer, let opener, let key, let sessionID) = state else { return false }
        sealer.seal(.close(stream: 0, code: code, reason: reason), appendingTo: &out)
        state = .awaitingAck(sealer: sealer, opener: opener, serverKey: key, sessionID: sessionID)
        return true
    }
}
