import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import ZTPCore
import ZTPNIO

/// A ZTP client session: connect with a token and the server key you trust, open streams,
/// send and receive; heartbeats and flow-control credit are handled inside.
///
/// ```swift
/// let client = try await ZTPClient.connect(host: "127.0.0.1", port: 9999, token: token,
///                                          trust: .pinned(serverKey))
/// let control = try await client.openStream(2)
/// try await control.send("ping")
/// for try await reply in control { print(String(decoding: reply, as: UTF8.self)); break }
/// await client.close()
/// ```
public final class ZTPClient: Sendable {
    /// What the server said in HANDSHAKE_ACK: session id, client id, role, parameters.
    public let session: SessionInfo
    private let channel: ClientChannel

    /// The session id, 32 lowercase hex digits (the management API's name for it).
    public var sessionID: String { session.sessionID }

    private init(session: SessionInfo, channel: ClientChannel) {
        self.session = session
        self.channel = channel
    }

    /// Connects and completes the handshake. Throws `ZTPClientError`: `.serverKeyMismatch`
    /// before the token is sent when the server is not the trusted one, `.closedByServer(code)`
    /// when the server refuses the token (AUTH_FAILED, TOKEN_EXPIRED, ...).
    public static func connect(host: String, port: Int, token: String, trust: ClientHandshake.ServerTrust,
                               handshakeTimeout: Double = 10,
                               group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> ZTPClient {
        // Credit goes back as the application reads, so a stalled reader stalls the server.
        let limits = {
            var limits = SessionLimits()
            limits.automaticCredit = false
            return limits
        }()
        let tokenBytes = Array(token.utf8)
        // Connection attempts may run the initializer more than once (several addresses).
        let bridges = NIOLockedValueBox<[ObjectIdentifier: ClientChannel]>([:])
        let bootstrap = ClientBootstrap(group: group)
            .noDelay()
            .connectTimeout(.seconds(Int64(max(1, handshakeTimeout))))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let connection = ClientConnection(token: tokenBytes, trust: trust, limits: limits, now: monotonicNow(),
                                                      handshakeTimeout: handshakeTimeout)
                    let gate = SendGate()
                    let handler = ClientHandler(connection: connection, eventLoop: channel.eventLoop, gate: gate)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    // The bridge is made here, on the loop: by the time `connect` returns, the
                    // handshake may already have failed and the handler left the pipeline.
                    bridges.withLockedValue { $0[ObjectIdentifier(channel)] = ClientChannel(channel: channel, handler: handler, gate: gate) }
                }
            }
        let nioChannel: any Channel
        do {
            nioChannel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw ZTPClientError(.connectionFailed, "cannot connect to \(host):\(port): \(error)")
        }
        guard let channel = bridges.withLockedValue({ $0[ObjectIdentifier(nioChannel)] }) else {
            preconditionFailure("the channel initializer ran for every connected channel")
        }
        let session = try await channel.established()
        return ZTPClient(session: session, channel: channel)
    }

    /// Opens a stream (an empty DATA frame opens it on the server, section 4).
    public func openStream(_ id: UInt32) async throws -> ZTPStream {
        let inbox = try await channel.openStream(id, window: session.parameters.streamWindow)
        return ZTPStream(id: id, channel: channel, inbox: inbox)
    }

    /// Round-trip time of a PING, in seconds.
    public func ping() async throws -> Double {
        try await channel.ping()
    }

    /// Sends CLOSE(NORMAL) and closes the connection.
    public func close() async {
        await channel.close()
    }

    /// Waits until the session ends and says why (e.g. `.closedByServer(.terminated)`).
    public func closed() async -> ZTPClientError {
        (try? await channel.closed.get()) ?? ZTPClientError(.disconnected, "connection closed")
    }
}
