import Foundation
import NIOCore
import NIOEmbedded
import ZTPTestSupport
import Testing
import ZTPCore
@testable import ZTPServer

/// A stream handler learns of every stream's end exactly once: closed by either side, or
/// ended with its session (CLOSE on stream 0, or TCP gone without any CLOSE). Handlers keep
/// per-stream state and free it in `closed`; a stream that ended with its session used to be
/// forgotten, and its state kept for the life of the process.
///
/// The server's real `ConnectionHandler` on an `EmbeddedChannel`, talking to a real
/// `ClientConnection` from the core.
@Suite("Streams ending with their session")
struct StreamEndTests {
    static let streamID: UInt32 = 7

    /// Echoes messages and records the end of each stream it served.
    final class RecordingHandler: StreamHandler {
        let kind = "recording"
        private let ends = LockedBox<[String]>([])

        func receive(_ message: ByteBuffer, on stream: StreamContext) {
            stream.reply(Array(buffer: message))
        }

        func closed(_ stream: StreamContext, code: CloseCode?) {
            ends.withLock { $0.append("\(stream.streamID):\(code?.name ?? "none")") }
        }

        var recorded: [String] { ends.withLock { $0 } }
    }

    /// A server connection on an embedded channel and a client session with streams 2 and 7 open.
    struct Harness {
        let channel: EmbeddedChannel
        let recorder = RecordingHandler()
        let services: ServerServices
        var client: ClientConnection

        init() throws {
            let secret = SecretBytes(SecureRandom.bytes(32))
            let identity = Ed25519.KeyPair(seed: SecretBytes(SecureRandom.bytes(32)))
            var router = StreamRouter.standard()
            router.register(recorder, on: StreamEndTests.streamID)
            var configuration = ServerConfiguration()
            configuration.policy = Policy(roles: ["user": Policy.Role(streams: [1, 2, StreamEndTests.streamID], commands: ["ping"])])
            services = ServerServices(configuration: configuration, identity: identity, tokenSecret: secret, router: router)
            channel = EmbeddedChannel(handler: ConnectionHandler(services: services))
            let now = Date().timeIntervalSince1970
            let token = TokenMinter(secret: secret).mint(TokenClaims(subject: "alice", role: "user", issuedAt: Int64(now),
                                                                      expiresAt: Int64(now) + 600, id: TokenMinter.newTokenID()))
            client = ClientConnection(token: Array(token.utf8), trust: .pinned(identity.publicKey), now: monotonicNow(),
                                      handshakeTimeout: 10)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            try pump()
            _ = client.sendData(stream: 2, payload: Array("ping".utf8), now: monotonicNow())
            _ = client.sendData(stream: StreamEndTests.streamID, payload: [1, 2, 3], now: monotonicNow())
            try pump()
        }

        /// Moves bytes both ways until neither side has more to say.
        mutating func pump() throws {
            for _ in 0..<20 {
                let toServer = client.takeOutbound()
                if !toServer.isEmpty { try channel.writeInbound(channel.allocator.buffer(bytes: toServer)) }
                var fromServer: [UInt8] = []
                while let buffer = try channel.readOutbound(as: ByteBuffer.self) { fromServer += Array(buffer.readableBytesView) }
                if !fromServer.isEmpty { _ = client.receive(fromServer, now: monotonicNow()) }
                if toServer.isEmpty && fromServer.isEmpty { return }
            }
        }
    }

    @Test("the harness has a live session with the recording stream open")
    func harnessIsLive() throws {
        let harness = try Harness()
        #expect(harness.client.session?.clientID == "alice")
        #expect(harness.services.registry.count == 1)
        #expect(harness.recorder.recorded.isEmpty)
    }

    @Test("a stream the client closes ends once, with its code; the session's end does not end it again")
    func closedByClient() throws {
        var harness = try Harness()
        _ = harness.client.closeStream(Self.streamID, code: .normal, reason: "", now: monotonicNow())
        try harness.pump()
        #expect(harness.recorder.recorded == ["7:NORMAL"])
        harness.client.close(code: .normal, reason: "bye", now: monotonicNow())
        try harness.pump()
        harness.channel.pipeline.fireChannelInactive()
        #expect(harness.recorder.recorded == ["7:NORMAL"])
    }

    @Test("streams open when the client sends CLOSE on stream 0 end with the session's code, once")
    func endedBySessionClose() throws {
        var harness = try Harness()
        harness.client.close(code: .normal, reason: "bye", now: monotonicNow())
        try harness.pump()
        #expect(harness.recorder.recorded == ["7:NORMAL"])
        harness.channel.pipeline.fireChannelInactive()
        #expect(harness.recorder.recorded == ["7:NORMAL"])
        #expect(harness.services.registry.count == 0)
    }

    @Test("streams open when TCP ends without any CLOSE end with no code")
    func endedByDisconnect() throws {
        let harness = try Harness()
        harness.channel.pipeline.fireChannelInactive()
        #expect(harness.recorder.recorded == ["7:none"])
        #expect(harness.services.registry.count == 0)
    }

    @Test("a session the server ends (an admin's TERMINATED) ends its open streams with that code")
    func endedByServer() throws {
        var harness = try Harness()
        let session = try #require(harness.services.registry.allSessions().first)
        _ = session.close(code: .terminated, reason: "admin")
        harness.channel.embeddedEventLoop.run()
        try harness.pump()
        #expect(harness.recorder.recorded == ["7:TERMINATED"])
    }

    @Test("the chat room holds a session from its stream 1's open to the session's end, however it ends")
    func chatMembershipEndsWithSession() throws {
        for end in ["stream close", "session close", "disconnect"] {
            var harness = try Harness()
            let room = try #require(harness.services.router.handler(for: ChatHandler.streamID) as? ChatHandler).room
            #expect(room.count == 0)
            _ = harness.client.sendData(stream: ChatHandler.streamID, payload: Array("hi".utf8), now: monotonicNow())
            try harness.pump()
            #expect(room.count == 1, "\(end)")
            switch end {
            case "stream close":
                _ = harness.client.closeStream(ChatHandler.streamID, code: .normal, reason: "", now: monotonicNow())
                try harness.pump()
            case "session close":
                harness.client.close(code: .normal, reason: "bye", now: monotonicNow())
                try harness.pump()
            default:
                harness.channel.pipeline.fireChannelInactive()
            }
            #expect(room.count == 0, "\(end)")
        }
    }
}
