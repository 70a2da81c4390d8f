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

    @Test("senders beyond the session's bound on queued bytes wait for room instead of failing")
    func sendersBeyondQueueBoundWait() async throws {
        // The reader's queue on the server holds the whole burst: whether the reader's task
        // keeps up on a loaded machine is not what this test is about (a reader that does not
        // is closed SLOW_CONSUMER, tested in SlowConsumerTests).
        let options = ["--stream-window", "65536", "--queued-bytes-limit", "\(4 << 20)"]
        try await withServer(ServerProcess.quickTimeouts + options) { server in
            let sender = try await Participant.join(server, "sender")
            let reader = try await Participant.join(server, "reader")
            let chat = try sender.chatInbox
            // 24 concurrent senders of 60 kB each: 1.4 MB waiting on a 64 KiB window, beyond
            // the client's 1 MiB queue bound.
            let senders = 24
            let body = String(repeating: "q", count: 60_000)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<senders {
                    group.addTask { try await chat.stream.send("\(index) \(body)") }
                }
                try await group.waitForAll()
            }
            var seen = Set<Int>()
            for _ in 0..<senders {
                let line = try await reader.chatInbox.next(within: .seconds(10))
                let fields = line.split(separator: " ")
                #expect(fields.count == 3 && fields[0] == "sender:" && fields[2] == body[...])
                if fields.count == 3, let index = Int(fields[1]) { seen.insert(index) }
            }
            #expect(seen == Set(0..<senders))
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
