import Testing
import ZTPClient
import ZTPCore

/// Section 4's checks on a DATA frame that opens a stream, as a library client sees them:
/// the stream ends with the code, and the session goes on.
@Suite("Stream admission")
struct StreamAdmissionTests {
    @Test("admin and user may use streams 1 and 2", arguments: ["admin", "user"])
    func fullRoles(role: String) async throws {
        try await withServer { server in
            let member = try await Participant.join(server, "m-\(role)", role: role)
            let other = try await Participant.join(server, "other")
            #expect(try await member.request("whoami") == "m-\(role) \(role)")
            #expect(try await member.say("hi") == "ok: delivered to 1")
            #expect(try await other.chatInbox.next() == "m-\(role): hi")
        }
    }

    @Test("an observer may use stream 2; stream 1 is closed FORBIDDEN and the session goes on")
    func observer() async throws {
        try await withServer { server in
            let observer = try await server.connect("olga", role: "observer")
            let chat = Inbox.reading(try await observer.openStream(1))
            let end = try await chat.end()
            #expect(end.error?.code == .streamClosed(.forbidden))
            let control = Inbox.reading(try await observer.openStream(2))
            try await control.stream.send("whoami")
            #expect(try await control.next() == "olga observer")
            // The refused stream was not opened: a broadcast does not count the observer.
            let alice = try await Participant.join(server, "alice")
            #expect(try await alice.say("anyone?") == "ok: delivered to 0")
        }
    }

    @Test("a stream id without a handler is closed UNKNOWN_STREAM, before the role check")
    func unknownStream() async throws {
        try await withServer { server in
            for role in ["user", "observer"] {
                let client = try await server.connect("c-\(role)", role: role)
                for id: UInt32 in [7, 3, 0x7FFF_FFFF] {
                    let stream = Inbox.reading(try await client.openStream(id))
                    #expect(try await stream.end().error?.code == .streamClosed(.unknownStream), "stream \(id), \(role)")
                }
                let control = Inbox.reading(try await client.openStream(2))
                try await control.stream.send("ping")
                #expect(try await control.next() == "pong")
                await client.close()
            }
        }
    }

    @Test("past max_streams a new stream is closed TOO_MANY_STREAMS; the session goes on, and a freed slot can be used")
    func tooManyStreams() async throws {
        try await withServer(ServerProcess.quickTimeouts + ["--max-streams", "1"]) { server in
            let client = try await server.connect("alice")
            #expect(client.session.parameters.maxStreams == 1)
            let control = Inbox.reading(try await client.openStream(2))
            try await control.stream.send("ping")
            #expect(try await control.next() == "pong")
            let chat = Inbox.reading(try await client.openStream(1))
            #expect(try await chat.end().error?.code == .streamClosed(.tooManyStreams))
            try await control.stream.send("echo still here")
            #expect(try await control.next() == "still here")
            // Closing stream 2 frees the slot for stream 1.
            await control.stream.close()
            let chatAgain = Inbox.reading(try await client.openStream(1))
            try await chatAgain.stream.send("@nobody x")
            #expect(try await chatAgain.next() == "ok: delivered to 0")
        }
    }
}
