import Foundation
import NIOCore
import Testing
import ZTPClient
import ZTPCore
import ZTPTestSupport

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

    @Test("private and public messages sent back to back arrive in order, each to its own recipients")
    func mixedInOrder() async throws {
        try await withServer { server in
            let alice = try await Participant.join(server, "alice")
            let bob = try await Participant.join(server, "bob")
            let carol = try await Participant.join(server, "carol")
            // Sent without waiting for replies, so the server likely reads them together and
            // delivers them as one batch.
            let chat = try alice.chatInbox
            for text in ["@bob one", "two", "@carol three", "four"] { try await chat.stream.send(text) }
            var replies: [String] = []
            for _ in 0..<4 { replies.append(try await chat.next()) }
            #expect(replies == ["ok: delivered to 1", "ok: delivered to 2", "ok: delivered to 1", "ok: delivered to 2"])
            #expect(try await bob.chatInbox.next() == "alice (private): one")
            #expect(try await bob.chatInbox.next() == "alice: two")
            #expect(try await bob.chatInbox.next() == "alice: four")
            #expect(try await carol.chatInbox.next() == "alice: two")
            #expect(try await carol.chatInbox.next() == "alice (private): three")
            #expect(try await carol.chatInbox.next() == "alice: four")
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

    @Test("chat reaches the sessions whose stream 1 is open now: one that closes it leaves, one that opens it later joins")
    func membershipFollowsStream() async throws {
        try await withServer { server in
            let alice = try await Participant.join(server, "alice")
            let bob = try await Participant.join(server, "bob")
            let late = try await Participant.join(server, "lena", chat: false)
            #expect(try await alice.say("one") == "ok: delivered to 1")
            #expect(try await bob.chatInbox.next() == "alice: one")

            // Bob closes chat; the control round trip after it says the server has seen the CLOSE.
            await (try bob.chatInbox).stream.close()
            #expect(try await bob.request("ping") == "pong")
            let lenaChat = Inbox.reading(try await late.client.openStream(1))
            #expect(try await late.request("ping") == "pong")
            #expect(try await alice.say("two") == "ok: delivered to 1")
            #expect(try await lenaChat.next() == "alice: two")
            #expect(try await alice.say("@bob are you there?") == "ok: delivered to 0", "bob's chat is closed")

            // A session that ends leaves with its streams (its close reaches the server a little later).
            await late.client.close()
            var reply = try await alice.say("three")
            let deadline = ContinuousClock.now + TestTime.scaled(.seconds(5))
            while reply != "ok: delivered to 0", ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                reply = try await alice.say("three")
            }
            #expect(reply == "ok: delivered to 0")
        }
    }

    @Test("a broadcast costs one task per other event loop with recipients, not one per recipient")
    func fanOutPerEventLoop() async throws {
        try await withServer { server in
            let admin = try AdminAPI(server)
            let sender = try await Participant.join(server, "sender")
            var listeners: [Participant] = []
            for index in 0..<12 { listeners.append(try await Participant.join(server, "listener\(index)")) }
            let before = try await admin.metric("ztp_chat_fanout_tasks_total")
            let broadcasts = 5
            for round in 0..<broadcasts {
                #expect(try await sender.say("round \(round)") == "ok: delivered to 12")
                for listener in listeners { #expect(try await listener.chatInbox.next() == "sender: round \(round)") }
            }
            let tasks = try await admin.metric("ztp_chat_fanout_tasks_total") - before
            // The server runs one event loop per core (NIO's count, the same in this process) and
            // spreads sessions over them in turn, so with two loops or more some listeners are on
            // a loop other than the sender's, and the sender's own loop costs no task.
            let loops = min(System.coreCount, listeners.count)
            #expect(tasks <= Double(broadcasts * loops), "\(tasks) tasks for \(broadcasts) broadcasts over at most \(loops) loops")
            if loops > 1 { #expect(tasks >= Double(broadcasts)) }
        }
    }
}
