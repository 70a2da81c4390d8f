import Foundation
import Testing
import ZTPClient
import ZTPCore

/// Frames that are valid one by one but move no data are held to budgets (`FloodGuard`): a
/// flood of any kind ends its session with CLOSE(0, PROTOCOL_ERROR) whose reason names the
/// budget, is counted in /metrics, and costs the other sessions nothing.
@Suite("Control-frame floods")
struct ControlFloodTests {
    enum Flood: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case ping = "ping_flood"
        case emptyData = "empty_data_flood"
        case windowUpdate = "window_update_flood"
        case openClose = "stream_churn"
        case keyUpdate = "key_update_flood"

        var testDescription: String { rawValue }
    }

    @Test("a flood is closed with PROTOCOL_ERROR naming it; a bystander is still served", arguments: Flood.allCases)
    func floodClosed(_ flood: Flood) async throws {
        try await withServer([]) { server in
            let admin = try AdminAPI(server)
            let bystander = try await Participant.join(server, "bystander", chat: false)
            let session = try await RawSession.open(server)
            #expect(try await session.request("ping") == "pong")
            // Far past each default budget (100 PINGs, 1000 empty DATA, 1000 WINDOW_UPDATEs, 500
            // opens and closes, per 10 s; 10 KEY_UPDATEs per minute), sent in one go.
            session.withConnection { connection in
                let now = clockNow()
                switch flood {
                case .ping:
                    for index in 0..<300 { connection.ping([0, 0, 0, 0, 0, 0, UInt8(index >> 8), UInt8(index & 0xFF)], now: now) }
                case .emptyData:
                    for _ in 0..<3_000 { _ = connection.sendData(stream: 2, payload: [], now: now) }
                case .windowUpdate:
                    // Credit for data the server never sent (a half window's worth each time).
                    for _ in 0..<3_000 { connection.consumed(stream: 2, count: 1 << 17, now: now) }
                case .openClose:
                    for _ in 0..<1_000 {
                        _ = connection.sendData(stream: 2, payload: [], now: now)
                        connection.closeStream(2, code: .normal, reason: "", now: now)
                    }
                case .keyUpdate:
                    for _ in 0..<30 { connection.updateSendKey(now: now) }
                }
            }
            await session.raw.sendIgnoringErrors(session.withConnection { $0.takeOutbound() })
            let event = try await session.waitFor("the server's CLOSE", within: .seconds(10)) {
                if case .closed = $0 { true } else { false }
            }
            #expect(event == .closed(.peerClosed(.protocolError, reason: flood.rawValue)))
            #expect(await session.raw.waitForClose(within: .seconds(3)), "TCP closed after the CLOSE")
            #expect(try await admin.metric(#"ztp_peer_limit_refusals_total{reason="\#(flood.rawValue)"}"#) == 1)
            #expect(try await admin.metric(#"ztp_protocol_errors_total{kind="\#(flood.rawValue)"}"#) == 1)
            #expect(try await bystander.request("whoami") == "bystander user")
            await session.close()
        }
    }

    @Test("a well-behaved client's heartbeats stay far inside the budgets for many beats")
    func heartbeatsPass() async throws {
        try await withServer { server in
            // Heartbeat 1 s: the library client PINGs and keeps its listening streams alive.
            let client = try await server.connect("steady")
            let chat = try await client.openStream(1)
            let control = Inbox.reading(try await client.openStream(2))
            try await Task.sleep(for: .seconds(5))
            try await control.stream.send("ping")
            #expect(try await control.next() == "pong")
            _ = chat
            let admin = try AdminAPI(server)
            #expect(try await admin.metric(#"ztp_peer_limit_refusals_total{reason="ping_flood"}"#) == 0)
            await client.close()
        }
    }
}
