import ZTPTestSupport
import ZTPClient

/// Reads one client stream in the background and keeps what arrives, so a test can wait for
/// the next message with a deadline. (Cancelling an iterator of the stream to time out would
/// end the stream itself.) Reading gives flow-control credit back, as an application would.
final class Inbox: Sendable {
    private struct State {
        var messages: [[UInt8]] = []
        var ended = false
        var error: ZTPClientError?
        var otherError: String?
    }

    let stream: ZTPStream
    private let state = LockedBox(State())

    private init(stream: ZTPStream) {
        self.stream = stream
    }

    /// Starts reading `stream` now.
    static func reading(_ stream: ZTPStream) -> Inbox {
        let inbox = Inbox(stream: stream)
        Task { await inbox.readAll() }
        return inbox
    }

    private func readAll() async {
        do {
            for try await message in stream {
                state.withLock { $0.messages.append(message) }
            }
            state.withLock { $0.ended = true }
        } catch let error as ZTPClientError {
            state.withLock { $0.ended = true; $0.error = error }
        } catch {
            state.withLock { $0.ended = true; $0.otherError = "\(error)" }
        }
    }

    /// The next message as bytes; throws when none comes within `timeout` or the stream ends.
    func nextBytes(within timeout: Duration = .seconds(5)) async throws -> [UInt8] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (message, ended, error) = state.withLock { state -> ([UInt8]?, Bool, String) in
                if !state.messages.isEmpty { return (state.messages.removeFirst(), false, "") }
                return (nil, state.ended, state.error.map { "\($0.code): \($0.message)" } ?? state.otherError ?? "finished")
            }
            if let message { return message }
            if ended { throw E2EFailure("stream \(stream.id) ended (\(error)) while a message was expected") }
            if ContinuousClock.now >= deadline { throw E2EFailure("no message on stream \(stream.id) within \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The next message as text.
    func next(within timeout: Duration = .seconds(5)) async throws -> String {
        String(decoding: try await nextBytes(within: timeout), as: UTF8.self)
    }

    /// Whatever arrives during `duration` (a test expecting silence checks it is empty).
    func messages(during duration: Duration) async -> [String] {
        try? await Task.sleep(for: duration)
        return state.withLock { state in
            defer { state.messages.removeAll() }
            return state.messages.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Waits for the stream to end and returns the error it ended with (nil for a normal end),
    /// along with the messages that were still unread. Throws if it does not end in time.
    func end(within timeout: Duration = .seconds(5)) async throws -> (error: ZTPClientError?, unread: [String]) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let result = state.withLock { state -> (Bool, ZTPClientError?, [String]) in
                (state.ended, state.error, state.messages.map { String(decoding: $0, as: UTF8.self) })
            }
            if result.0 { return (result.1, result.2) }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw E2EFailure("stream \(stream.id) did not end within \(timeout)")
    }

    /// True once the stream has ended.
    var hasEnded: Bool { state.withLock { $0.ended } }
}

/// One client connected with streams 1 (chat) and 2 (control) open and read.
struct Participant: Sendable {
    let client: ZTPClient
    let chat: Inbox?
    let control: Inbox

    /// Connects, opens control (and chat unless `chat` is false), and makes sure the server has
    /// seen both opens: a control round trip follows them on the same connection.
    static func join(_ server: ServerProcess, _ name: String, role: String = "user", chat: Bool = true) async throws -> Participant {
        let client = try await server.connect(name, role: role)
        let chatInbox = chat ? Inbox.reading(try await client.openStream(1)) : nil
        let control = Inbox.reading(try await client.openStream(2))
        let participant = Participant(client: client, chat: chatInbox, control: control)
        let reply = try await participant.request("ping")
        guard reply == "pong" else { throw E2EFailure("ping answered '\(reply)'") }
        return participant
    }

    /// One control request, one reply.
    func request(_ text: String) async throws -> String {
        try await request(bytes: Array(text.utf8))
    }

    func request(bytes: [UInt8]) async throws -> String {
        try await control.stream.send(bytes)
        return try await control.next()
    }

    /// Sends a chat message and returns the server's `ok:`/`error:` reply to it.
    func say(_ text: String) async throws -> String {
        try await say(bytes: Array(text.utf8))
    }

    func say(bytes: [UInt8]) async throws -> String {
        guard let chat else { throw E2EFailure("chat is not open") }
        try await chat.stream.send(bytes)
        return try await chat.next()
    }

    var chatInbox: Inbox {
        get throws {
            guard let chat else { throw E2EFailure("chat is not open") }
            return chat
        }
    }
}
