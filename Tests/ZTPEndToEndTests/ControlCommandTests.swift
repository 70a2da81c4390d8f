import Foundation
import Testing
import ZTPClient

/// Stream 2 (ZTP-1 section 8): every command, one request and one reply, never empty.
@Suite("Control commands")
struct ControlCommandTests {
    @Test("ping, PING, echo, whoami, status, unknown commands and invalid UTF-8")
    func commands() async throws {
        try await withServer { server in
            let user = try await Participant.join(server, "alice", chat: false)
            #expect(try await user.request("ping") == "pong")
            #expect(try await user.request("PING") == "pong", "the command word is case-insensitive")
            #expect(try await user.request("PiNg") == "pong")
            #expect(try await user.request("ping extra") == "error: unknown command", "only echo takes text")
            #expect(try await user.request("bogus") == "error: unknown command")
            #expect(try await user.request("time now") == "error: unknown command")
            #expect(try await user.request(" ping") == "error: unknown command")
            #expect(try await user.request("echo hello world") == "hello world")
            #expect(try await user.request("ECHO Mixed Case") == "Mixed Case")
            #expect(try await user.request("echo  two spaces") == " two spaces", "what follows one space is taken as is")
            #expect(try await user.request("echo") == "error: usage: echo TEXT")
            #expect(try await user.request("echo ") == "error: usage: echo TEXT")
            #expect(try await user.request("whoami") == "alice user")
            let status = try await user.request("status")
            #expect(status.hasPrefix("ok"), "status was '\(status)'")
            #expect(try await user.request(bytes: [0x70, 0x69, 0xC3, 0x28]) == "error: invalid UTF-8")
            #expect(try await user.request(bytes: [0xFF]) == "error: invalid UTF-8")
            // An empty DATA is not a message: it gets no reply, so the next reply is the ping's.
            try await user.control.stream.send([UInt8]())
            #expect(try await user.request("ping") == "pong")
        }
    }

    @Test("time is the current UTC time in RFC 3339")
    func time() async throws {
        try await withServer { server in
            let user = try await Participant.join(server, "alice", chat: false)
            let reply = try await user.request("time")
            #expect(reply.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/) != nil, "'\(reply)' is not RFC 3339 UTC")
            let parsed = try Date(reply, strategy: .iso8601)
            #expect(abs(parsed.timeIntervalSinceNow) < 5, "\(reply) is not near now (\(Date()))")
        }
    }

    @Test("help lists the commands each role may use")
    func helpPerRole() async throws {
        try await withServer { server in
            let userCommands: Set = ["ping", "time", "status", "echo", "whoami", "help"]
            let admin = try await Participant.join(server, "root", role: "admin", chat: false)
            let user = try await Participant.join(server, "alice", role: "user", chat: false)
            let observer = try await Participant.join(server, "olga", role: "observer", chat: false)
            #expect(Self.words(try await admin.request("help")).isSuperset(of: userCommands.union(["sessions"])))
            let userHelp = Self.words(try await user.request("help"))
            #expect(userHelp.isSuperset(of: userCommands))
            #expect(!userHelp.contains("sessions"))
            let observerHelp = Self.words(try await observer.request("HELP"))
            #expect(observerHelp.isSuperset(of: userCommands))
            #expect(!observerHelp.contains("sessions"))
        }
    }

    @Test("sessions lists SESSION_ID CLIENT_ID ROLE for admins, with the caller's session; others are forbidden")
    func sessions() async throws {
        try await withServer { server in
            let admin = try await Participant.join(server, "root", role: "admin", chat: false)
            let user = try await Participant.join(server, "alice", role: "user", chat: false)
            let observer = try await Participant.join(server, "olga", role: "observer", chat: false)
            let listing = try await admin.request("sessions")
            let lines = listing.split(separator: "\n").map(String.init)
            #expect(lines.count == 3, "listing was:\n\(listing)")
            for line in lines {
                #expect(line.wholeMatch(of: /[0-9a-f]{32} [A-Za-z0-9._@-]+ [A-Za-z0-9_-]+/) != nil, "bad line '\(line)'")
            }
            #expect(lines.contains("\(admin.client.sessionID) root admin"))
            #expect(lines.contains("\(user.client.sessionID) alice user"))
            #expect(lines.contains("\(observer.client.sessionID) olga observer"))
            #expect(try await admin.request("Sessions").contains(admin.client.sessionID))
            #expect(try await user.request("sessions") == "error: forbidden")
            #expect(try await observer.request("sessions") == "error: forbidden")
            #expect(try await user.request("sessions now") == "error: unknown command")
        }
    }

    private static func words(_ help: String) -> Set<String> {
        Set(help.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == ":" }).map(String.init))
    }
}
