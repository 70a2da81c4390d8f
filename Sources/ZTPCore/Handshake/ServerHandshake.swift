/// The server's handshake (ZTP-1 section 3): CLIENT_HELLO -> SERVER_HELLO signed with the
/// identity key -> HANDSHAKE_INIT checked as in 3.5 -> HANDSHAKE_ACK or CLOSE(code).
public struct ServerHandshake: HandshakeMachine {
    public static let peerRole = Role.client
    public static let localRole = Role.server

    /// Settings fixed at accept.
    public struct Configuration: Sendable {
        public var parameters = SessionParameters()
        /// Seconds from accept until HANDSHAKE_INIT must have arrived whole (section 3.7).
        public var handshakeTimeout: Double = 10
        /// Seconds from accept until CLIENT_HELLO must have arrived, inside `handshakeTimeout`:
        /// a connection that says nothing gives its handshake slot back quickly.
        public var clientHelloTimeout: Double = 2
        public var limits = SessionLimits()

        public init() {}
    }

    private enum State: Sendable {
        /// Waiting for CLIENT_HELLO.
        case awaitingClientHello(ephemeral: X25519.KeyPair?)
        /// SERVER_HELLO sent; waiting for HANDSHAKE_INIT under k_c2s.
        case awaitingInit(keys: KeySchedule, sealer: FrameSealer, opener: FrameOpener)
        /// Finished, either way.
        case done
    }

    private let configuration: Configuration
    private let identity: Ed25519.KeyPair
    private let verifier: TokenVerifier
    /// The last word on a token that passed 3.5: nil admits the session, a code refuses it in
    /// place of HANDSHAKE_ACK (TOO_MANY_SESSIONS at the per-client cap). The server reserves the
    /// session's place here, so the cap holds for handshakes that finish together.
    private let sessionAdmission: @Sendable (TokenClaims) -> CloseCode?
    private var state: State
    private let acceptedAt: Double
    /// Why the token was refused, for the audit log (never the token itself).
    public private(set) var authenticationFailure: TokenVerifier.Failure?

    /// - Parameter ephemeral: this connection's X25519 pair; fresh unless a test fixes it.
    public init(configuration: Configuration, identity: Ed25519.KeyPair, verifier: TokenVerifier,
                acceptedAt: Double, ephemeral: X25519.KeyPair? = nil,
                sessionAdmission: @escaping @Sendable (TokenClaims) -> CloseCode? = { _ in nil }) {
        self.configuration = configuration
        self.identity = identity
        self.verifier = verifier
        self.sessionAdmission = sessionAdmission
        self.acceptedAt = acceptedAt
        state = .awaitingClientHello(ephemeral: ephemeral)
    }

    /// Section 3.7's limit, and before it the shorter one for CLIENT_HELLO.
    public var deadline: Double? {
        let whole = acceptedAt + configuration.handshakeTimeout
        if awaitsClientHello { return min(whole, acceptedAt + configuration.clientHelloTimeout) }
        return whole
    }

    /// True until CLIENT_HELLO has arrived (a timeout then means the peer never spoke).
    public var awaitsClientHello: Bool {
        if case .awaitingClientHello = state { return true }
        return false
    }

    public mutating func receive(_ frame: FrameDecoder.RawFrame, now: Double, out: inout [UInt8]) throws(ZTPError) -> HandshakeStep {
        switch state {
        case .awaitingClientHello(let ephemeral):
            guard frame.header.type == .clientHello else {
                throw .protocolError(.unexpectedFrame, "\(frame.header.type) before CLIENT_HELLO")
            }
            try receiveClientHello(frame, ephemeral: ephemeral ?? X25519.KeyPair(), out: &out)
            return .pending
        case .awaitingInit(let keys, let sealer, var opener):
            guard frame.header.type == .handshakeInit else {
                throw .protocolError(.unexpectedFrame, "\(frame.header.type) before HANDSHAKE_INIT")
            }
            let token = try opener.open(frame)
            state = .done
            return receiveHandshakeInit(token: token, now: now, keys: keys, sealer: sealer, opener: opener, out: &out)
        case .done:
            preconditionFailure("the connection stops feeding a finished handshake")
        }
    }

    private mutating func receiveClientHello(_ frame: FrameDecoder.RawFrame, ephemeral: X25519.KeyPair, out: inout [UInt8]) throws(ZTPError) {
        let clientHello = Array(frame.bytes)
        // "If dh is all zero the server closes TCP without sending SERVER_HELLO."
        guard let dh = X25519.sharedSecret(privateKey: ephemeral.privateKey, peerPublicKey: frame.payload) else {
            throw ZTPError(.lowOrderKey, .protocolError, "client key gives an all-zero secret")
        }
        var serverHelloHead = FrameHeader(type: .serverHello, streamID: 0, sequence: 0, length: 128).bytes
        serverHelloHead += ephemeral.publicKey
        serverHelloHead += identity.publicKey
        let signature = identity.sign(KeySchedule.signedMessage(clientHello: clientHello, serverHelloHead: serverHelloHead))
        let serverHello = serverHelloHead + signature
        let keys = KeySchedule(dh: dh, clientHello: clientHello, serverHello: serverHello)
        out += serverHello
        state = .awaitingInit(keys: keys, sealer: FrameSealer(key: keys.serverToClient), opener: FrameOpener(key: keys.clientToServer))
    }

    private mutating func receiveHandshakeInit(token: [UInt8], now: Double, keys: KeySchedule, sealer: FrameSealer,
                                               opener: FrameOpener, out: inout [UInt8]) -> HandshakeStep {
        var sealer = sealer
        switch verifier.verify(token) {
        case .failure(let failure):
            authenticationFailure = failure
            sealer.seal(.close(stream: 0, code: failure.code, reason: Frame.closeReason(ServerHandshake.reason(for: failure.code))),
                        appendingTo: &out)
            return .rejected(.local(failure.code))
        case .success(let claims):
            if let refusal = sessionAdmission(claims) {
                sealer.seal(.close(stream: 0, code: refusal, reason: Frame.closeReason(ServerHandshake.reason(for: refusal))),
                            appendingTo: &out)
                return .rejected(.local(refusal))
            }
            let info = SessionInfo(sessionID: keys.sessionIDHex, clientID: claims.subject, role: claims.role,
                                   tokenID: claims.id, tokenExpiresAt: claims.expiresAt, parameters: configuration.parameters)
            let ack = HandshakeAcknowledgement(sessionID: info.sessionID, clientID: info.clientID, role: info.role,
                                               parameters: configuration.parameters)
            sealer.seal(.handshakeAck(parameters: ack.json), appendingTo: &out)
            return .established(info, sealer: sealer, opener: opener, limits: configuration.limits,
                                 endsAt: now + verifier.secondsLeft(claims))
        }
    }

    /// The CLOSE reason for a refused token. Reasons are for people (section 3.6); the vector
    /// fixes "auth failed" for AUTH_FAILED.
    static func reason(for code: CloseCode) -> String {
        switch code {
        case .authFailed: return "auth failed"
        case .tokenExpired: return "token expired"
        case .tokenRevoked: return "token revoked"
        case .unknownRole: return "unknown role"
        case .tooManySessions: return "too many sessions"
        default: return code.name.lowercased()
        }
    }

    public mutating func sealClose(code: CloseCode, reason: [UInt8], out: inout [UInt8]) -> Bool {
        // The server has its send key once SERVER_HELLO is out.
        guard case .awaitingInit(let keys, var sealer, let opener) = state else { return false }
        sealer.seal(.close(stream: 0, code: code, reason: reason), appendingTo: &out)
        state = .awaitingInit(keys: keys, sealer: sealer, opener: opener)
        return true
    }
}
