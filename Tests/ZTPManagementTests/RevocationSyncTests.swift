import Foundation
import Logging
import NIOPosix
import Testing
import ZTPClient
import ZTPCore
import ZTPManagement
@testable import ZTPServer
import ZTPStore

/// Following revocations made by other nodes: `RevocationSync` against a real store and a real
/// listener with a live client (the other node is played by calling the store directly).
@Suite("Revocation sync")
struct RevocationSyncTests {
    @Test("a catch-up applies revocations made elsewhere: the list, the live session, the event; once")
    func catchUpAppliesOnce() async throws {
        let store = try Store.inMemory()
        let secret = SecretBytes(SecureRandom.bytes(32))
        let identity = Ed25519.KeyPair(seed: SecretBytes(SecureRandom.bytes(32)))
        var configuration = ServerConfiguration()
        configuration.port = 0
        let services = ServerServices(configuration: configuration, identity: identity, tokenSecret: secret,
                                      revocations: RevocationList(maxStaleness: 30))
        let listener = ZTPListener(services: services, group: MultiThreadedEventLoopGroup.singleton)
        let port = try #require(try await listener.bind().port)
        let sync = RevocationSync(store: store, services: services, after: try store.revocationSnapshot().lastSequence,
                                  logger: Logger(label: "test"))

        let now = Int64(Date().timeIntervalSince1970)
        let claims = TokenClaims(subject: "alice", role: "user", issuedAt: now, expiresAt: now + 600, id: TokenMinter.newTokenID())
        try store.recordIssued(TokenRecord(jti: claims.id, clientID: "alice", role: "user",
                                           issuedAt: Date(timeIntervalSince1970: TimeInterval(now)),
                                           expiresAt: Date(timeIntervalSince1970: TimeInterval(now + 600))))
        let client = try await ZTPClient.connect(host: "127.0.0.1", port: port, token: TokenMinter(secret: secret).mint(claims),
                                                 trust: .pinned(identity.publicKey))
        #expect(try sync.catchUp() == 0)

        // Another node revokes: the store has it, this node does not yet.
        _ = try store.revoke(jti: claims.id, at: Date())
        #expect(!services.revocations.contains(claims.id))
        #expect(try sync.catchUp() == 1)
        #expect(services.revocations.contains(claims.id))
        let end = await client.closed()
        #expect(end.code == .closedByServer(.tokenRevoked))
        let announced = services.events.recentEvents.filter { $0.type == .tokenRevoked }
        #expect(announced.map(\.jti) == [claims.id])
        // Nothing new: nothing applied again, nothing announced again.
        #expect(try sync.catchUp() == 0)
        #expect(services.events.recentEvents.filter { $0.type == .tokenRevoked }.count == 1)
        #expect(services.revocations.age < 5)
        await listener.shutdown()
    }

    @Test("a list without a catch-up for longer than its bound is stale until the next one")
    func staleness() {
        let list = RevocationList([], maxStaleness: 2, now: 100)
        #expect(!list.isStale(now: 101.9))
        #expect(list.isStale(now: 102.1))
        list.markSynchronised(startedAt: 101)
        #expect(!list.isStale(now: 102.1))
        // A catch-up that began earlier than the last one vouches for nothing newer.
        list.markSynchronised(startedAt: 50)
        #expect(list.age(now: 102) == 1)
        #expect(!RevocationList([], maxStaleness: nil, now: 0).isStale(now: 1e9), "one node on SQLite is never stale")
    }
}
