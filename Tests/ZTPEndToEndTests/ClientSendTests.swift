import Testing
import ZTPClient
import ZTPCore

/// `ZTPStream.send` returns without waiting for the event loop while the window admits the
/// message (see SendGate); order and flow control must hold all the same.
@Suite("Client sends without waiting")
struct ClientSendTests {
    @Test("a burst of sends far beyond the window arrives complete and in order")
    func burstInOrder() async throws {
        try await withServer(ServerProcess.quickTimeouts + ["--stream-window", "65536"]) { server in
            let sender = try await Participant.join(server, "sender")
            let reader = try await Participant.join(server, "reader")
            let chat = try sender.chatInbox
            // 200 messages of 8 kB: 25 windows' worth, sent back to back without reading a reply.
            let count = 200
            let body = String(repeating: "x", count: 8_000)
            for index in 0..<count { try await chat.stream.send("\(index) \(body)") }
            for index in 0..<count {
                #expect(try await reader.chatInbox.next(within: .seconds(10)) == "sender: \(index) \(body)")
                #expect(try await chat.next(within: .seconds(10)) == "ok: delivered to 1")
            }
            #expect(try await sender.request("ping") == "pong")
        }
    }

    @Test("a message over max_frame still throws at once, not on the next send")
    func tooLargeThrowsAtOnce() async throws {
        try await withServer { server in
            let sender = try await Participant.join(server, "sender")
            let chat = try sender.chatInbox
            await #expect(throws: ZTPClientError.self) { try await chat.stream.send([UInt8](repeating: 1, count: 65_537)) }
            #expect(try await sender.say("still here") == "ok: delivered to 0")
        }
    }
}
