import Testing
import ZTPClient
import ZTPCore

/// Stream 1 (ZTP-1 section 8) between real clients of a real server process.
@Suite("Chat between clients")
struct ChatTests {
    @Test("a broadcast reaches every other session with chat open, the sender's other sessions included, and N counts them")
    func broadcast() async throws {
        try await withServer { server in
            let alice = try await Participant.join(server, "alice")
            let aliceAgain = try await Participant.join(server, "alice")
            let bob = try await Participant.join(server, "bob")
            let carol = try await Participant.join(server, "carol", role: "admin")
            // Not counted: an observer (may not use stream 1) and a session without chat open.
            let observer = try await Participant.join(server, "olga", role: "observer", chat: false)
            let quiet = try await Participant.join(server, "quentin", chat: false)

            #expect(try await alice.say("hello everyone") == "ok: delivered to 3")
            #expect(try await bob.chatInbox.next() == "alice: hello everyone")
            #expect(try await carol.chatInbox.next() == "alice: hello everyone")
            #expect(try await aliceAgain.chatInbox.next() == "alice: hello everyone")
            #expect(try await alice.chatInbox.messages(during: .milliseconds(200)).isEmpty, "the sending session gets only its ok")

            #expect(try await bob.say("hi alice") == "ok: delivered to 3")
            #expect(try await alice.chatInbox.next() == "bob: hi alice")
            #expect(try await aliceAgain.chatInbox.next() == "bob: hi alice")
            #expect(try await carol.chatInbox.next() == "bob: hi alice")
            #expect(try await observer.request("ping") == "pong")
            #expect(try await quiet.request("whoami") == "quentin user")
        }
    }

    @Test("two clients talk back and forth, in order")
    func conversation() async throws {
        try await withServer { server in
            let alice = try await Participant.join(server, "alice")
            let bob = try await Participant.join(server, "bob")
            for round in 1...5 {
                #expect(try await alice.say("question \(round)") == "ok: delivered to 1")
                #expect(try await bob.chatInbox.next() == "alice: question \(round)")
                #expect(try await bob.say("answer \(round)") == "ok: delivered to 1")
                #expect(try await alice.chatInbox.next() == "bob: answer \(round)")
            }
        }
    }

    @Test("@bob text goes only to bob's sessions, as 'alice (private): text'")
    func privateMessage() async throws {
        try await withServer { server in
            let alice = try await Participant.join(server, "alice")
            let bob = try await Participant.join(server, "bob")
            let bobAgain = try await Participant.join(server, "bob")
            let carol = try await Participant.join(server, "carol")

            #expect(try await alice.say("@bob the key is under the mat") == "ok: delivered to 2")
            #expect(try await bob.chatInbox.next() == "alice (private): the key is under the mat")
            #expect(try await bobAgain.chatInbox.next() == "alice (private): the key is under the mat")
            // Carol's next chat line is a later broadcast, not the private message.
            #expect(try await alice.say("public now") == "ok: delivered to 3")
            #expect(try await carol.chatInbox.next() == "alice: public now")
            #expect(try await bob.chatInbox.next() == "alice: public now")
            #expect(try await bobAgain.chatInbox.next() == "alice: public now")

            #expect(try await alice.say("@nobody hello?") == "ok: delivered to 0")
        }
    }

    @Test("a private message to one's own client id reaches the other sessions, never the sending one")
    func privateToSelf() async throws {
        try await withServer { server in
            let first = try await Participant.join(server, "alice")
            let second = try await Participant.join(server, "alice")
            #expect(try await first.say("@alice note to self") == "ok: delivered to 1")
            #expect(try await second.chatInbox.next() == "alice (private): note to self")
            #expect(try await first.chatInbox.messages(during: .milliseconds(200)).isEmpty)
        }
    }

    @Test("chat errors: @client without text, too long, invalid UTF-8")
    func chatErrors() async throws {
        try await withServer { server in
            let alice = try await Participant.join(server, "alice")
            let bob = try await Participant.join(server, "bob")
            #expect(try await alice.say("@bob") == "error: usage: @client text")
            #expect(try await alice.say("@bob ") == "error: usage: @client text")
            #expect(try await alice.say("@ hello") == "error: usage: @client text")
            // "alice: " plus 65,530 bytes is over max_frame.
            #expect(try await alice.say(String(repeating: "x", count: 65_530)) == "error: message too long")
            #expect(try await alice.say(bytes: [0x68, 0x69, 0xFF, 0xFE]) == "error: invalid UTF-8")
            #expect(try await bob.chatInbox.messages(during: .milliseconds(200)).isEmpty, "nothing was delivered")
            #expect(try await alice.say("still here") == "ok: delivered to 1")
            #expect(try await bob.chatInbox.next() == "alice: still here")
        }
    }
}
