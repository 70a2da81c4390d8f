import Foundation
import NIOCore
import NIOPosix
import ZTPTestSupport
import Testing
import ZTPClient
import ZTPCore

/// The close deadline in the client library (ZTP-1 2.0): a client that closes its session
/// closes TCP within 2 s even when the server stopped reading and the CLOSE can never go out.
@Suite("Client close deadline")
struct ClientCloseDeadlineTests {
    @Test("close() against a server that stopped reading returns, and the socket is released, within 2 s")
    func closeAgainstDeafServer() async throws {
        let identity = Ed25519.KeyPair()
        let secret = SecretBytes(randomCount: 32)
        let deaf = try await DeafServer.start(identity: identity, secret: secret)
        let now = Int64(Date().timeIntervalSince1970)
        let token = TokenMinter(secret: secret).mint(TokenClaims(subject: "talker", role: "user", issuedAt: now,
                                                                 expiresAt: now + 600, id: TokenMinter.newTokenID()))
        let client = try await ZTPClient.connect(host: "127.0.0.1", port: deaf.port, token: token, trust: .pinned(identity.publicKey))
        let clientPort = try #require(deaf.clientPort, "the deaf server saw the connection")
        // Far more than the loopback buffers hold: 100 streams with a full window each.
        let chunk = [UInt8](repeating: 7, count: 65_536)
        for id in UInt32(1)...100 {
            let stream = try await client.openStream(id)
            for _ in 0..<4 { try await stream.send(chunk) }
        }
        #expect(TCPTable.serverEnd(serverPort: clientPort, clientPort: deaf.port) == .held)
        let start = ContinuousClock.now
        try await value(within: .seconds(5), of: "close() against a deaf server") { await client.close() }
        let closeTook = ContinuousClock.now - start
        #expect(closeTook < .seconds(2), "close() took \(closeTook)")
        let released = await TCPTable.waitForRelease(serverPort: clientPort, clientPort: deaf.port, within: .seconds(3))
        #expect(released != nil, "the client still holds its socket")
        await deaf.stop()
    }
}

/// A ZTP server (the core's `ServerConnection` on NIO) that completes one handshake and then
/// never reads again.
private final class DeafServer: Sendable {
    let channel: any Channel
    private let accepted: AcceptedPort

    var port: Int { channel.localAddress?.port ?? 0 }
    /// The client's port once a connection was accepted.
    var clientPort: Int? { accepted.port }

    private init(channel: any Channel, accepted: AcceptedPort) {
        self.channel = channel
        self.accepted = accepted
    }

    static func start(identity: Ed25519.KeyPair, secret: SecretBytes) async throws -> DeafServer {
        let accepted = AcceptedPort()
        let verifier = TokenVerifier(secret: secret, now: { Date().timeIntervalSince1970 }, isKnownRole: { _ in true },
                                     isRevoked: { _ in false })
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    accepted.port = child.remoteAddress?.port
                    try child.pipeline.syncOperations.addHandler(DeafHandler(identity: identity, verifier: verifier))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return DeafServer(channel: channel, accepted: accepted)
    }

    func stop() async {
        try? await channel.close()
    }
}

/// The accepted connection's remote port, set on the server's loop.
private final class AcceptedPort: Sendable {
    private let state = LockedBox<Int?>(nil)
    var port: Int? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

private final class DeafHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var connection: ServerConnection

    init(identity: Ed25519.KeyPair, verifier: TokenVerifier) {
        let now = Double(NIODeadline.now().uptimeNanoseconds) / 1e9
        connection = ServerConnection(server: ServerHandshake(configuration: .init(), identity: identity, verifier: verifier,
                                                              acceptedAt: now),
                                      admission: { _, _ in nil })
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let events = buffer.withUnsafeReadableBytes { connection.receive($0, now: Double(NIODeadline.now().uptimeNanoseconds) / 1e9) }
        let bytes = connection.takeOutbound()
        if !bytes.isEmpty { context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil) }
        if events.contains(where: { if case .established = $0 { true } else { false } }) {
            // From here on nothing is read: the client's bytes pile up in its own buffers.
            try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        }
    }
}
