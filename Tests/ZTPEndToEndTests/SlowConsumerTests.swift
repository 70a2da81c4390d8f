import Testing
import ZTPClient
import ZTPCore

/// Flow control under a reader that stops (sections 4.1 and 8): the server queues chat for a
/// recipient whose window is spent, up to its bound, then closes that recipient's stream 1
/// with SLOW_CONSUMER and stops counting it, while everyone else keeps getting chat promptly.
@Suite("Slow consumers")
struct SlowConsumerTests {
    /// The default queue bound (1 MiB, section 8's lower bound) and a larger one from
    /// `--queued-bytes-limit`, with the least number of 60-kB messages each must hold.
    @Test("a chat recipient that never reads is closed SLOW_CONSUMER while others keep getting chat",
          arguments: [(limit: nil, leastHeld: 17), (limit: 2 << 20, leastHeld: 34)] as [(limit: Int?, leastHeld: Int)])
    func slowConsumerClosedOthersCarryOn(bound: (limit: Int?, leastHeld: Int)) async throws {
        let limit = bound.limit.map { ["--queued-bytes-limit", "\($0)"] } ?? []
        // Default idle timeouts: the silent reader's control stream idles while 60 messages go
        // out, which in an instrumented run can take longer than the quick 2 s.
        try await withServer(["--stream-window", "65536"] + limit) { server in
            let sender = try await Participant.join(server, "sender")
            let fast = try await Participant.join(server, "fast")
            // Opens chat but never reads it: no credit goes back to the server.
            let slowClient = try await server.connect("slow")
            let slowChat = try await slowClient.openStream(1)
            let slowControl = Inbox.reading(try await slowClient.openStream(2))
            try await slowControl.stream.send("ping")
            #expect(try await slowControl.next() == "pong")

            let body = String(repeating: "z", count: 60_000)
            var counts: [String] = []
            var firstUncounted: Int?
            for index in 0..<60 {
                let reply = try await sender.say("\(index) \(body)")
                counts.append(reply)
                // The fast reader gets every message, in order, as it is sent.
                let line = try await fast.chatInbox.next(within: .seconds(3))
                #expect(line == "sender: \(index) \(body)", "message \(index) at the fast reader")
                if reply == "ok: delivered to 1", firstUncounted == nil { firstUncounted = index }
                if let firstUncounted, index >= firstUncounted + 3 { break }
            }
            let cutAt = try #require(firstUncounted, "the silent reader was never dropped: \(counts.prefix(3))...")
            // One 64 KiB window in flight plus the queue bound before the cut.
            #expect(cutAt >= bound.leastHeld, "cut off after only \(cutAt) messages of 60 kB")
            #expect(cutAt <= bound.leastHeld + 3, "held \(cutAt) messages of 60 kB, beyond the bound")
            #expect(counts[..<cutAt].allSatisfy { $0 == "ok: delivered to 2" }, "\(counts)")
            #expect(counts[cutAt...].allSatisfy { $0 == "ok: delivered to 1" }, "\(counts)")

            // The slow session itself is still there; its chat stream ended with SLOW_CONSUMER.
            try await slowControl.stream.send("whoami")
            #expect(try await slowControl.next() == "slow user")
            let slowInbox = Inbox.reading(slowChat)
            let end = try await slowInbox.end(within: .seconds(5))
            #expect(end.error?.code == .streamClosed(.slowConsumer))
            #expect(end.unread.count <= cutAt)
            for (index, line) in end.unread.enumerated() {
                #expect(line == "sender: \(index) \(body)", "what the slow reader did get is in order")
            }

            // Chat still flows promptly to the others.
            let start = ContinuousClock.now
            #expect(try await sender.say("after the cut") == "ok: delivered to 1")
            #expect(try await fast.chatInbox.next(within: .seconds(2)) == "sender: after the cut")
            #expect(ContinuousClock.now - start < .seconds(2))
        }
    }

    @Test("a reader that pauses and resumes loses nothing: the server waits for credit")
    func pausedReaderGetsEverything() async throws {
        try await withServer(ServerProcess.quickTimeouts + ["--stream-window", "4096"]) { server in
            let sender = try await Participant.join(server, "sender")
            let readerClient = try await server.connect("reader")
            let readerChat = try await readerClient.openStream(1)
            let readerControl = Inbox.reading(try await readerClient.openStream(2))
            try await readerControl.stream.send("ping")
            #expect(try await readerControl.next() == "pong")

            // 40 messages of 1 kB: ten times the window, far below the queue bound.
            let body = String(repeating: "q", count: 1_000)
            for index in 0..<60 {
                #expect(try await sender.say("\(index) \(body)") == "ok: delivered to 1")
            }
            let reader = Inbox.reading(readerChat)
            for index in 0..<60 {
                #expect(try await reader.next() == "sender: \(index) \(body)")
            }
        }
    }
}
