import Testing
@testable import ZTPClient

/// Credit may go back only for messages the reader took; the inbox says which ones the loop
/// already counted (handed to a waiting reader) and which the reader must report (buffered).
@Suite("Stream inbox")
struct StreamInboxTests {
    /// Waits until a reader is parked: a delivery then goes straight to it.
    static func waitForReader(_ inbox: StreamInbox) async {
        while !inbox.hasWaitingReader { await Task.yield() }
    }

    @Test("a message for a waiting reader is handed over and counted by the loop")
    func directHandOff() async throws {
        let inbox = StreamInbox()
        async let taken = inbox.next()
        await Self.waitForReader(inbox)
        #expect(inbox.deliver([1, 2, 3]))
        let result = try await taken
        #expect(result?.message == [1, 2, 3])
        #expect(result?.fromBuffer == false)
    }

    @Test("a message nobody waits for is buffered, and the reader reports it")
    func buffered() async throws {
        let inbox = StreamInbox()
        #expect(inbox.deliver([1]) == false)
        #expect(inbox.deliver([2]) == false)
        let first = try await inbox.next()
        let second = try await inbox.next()
        #expect(first?.message == [1] && first?.fromBuffer == true)
        #expect(second?.message == [2] && second?.fromBuffer == true)
    }

    @Test("the end comes after what is buffered; an error is thrown once, then the sequence is over")
    func endAfterBuffer() async throws {
        let inbox = StreamInbox()
        _ = inbox.deliver([7])
        inbox.finish(throwing: ZTPClientError(.streamClosed(.forbidden), "closed"))
        #expect(inbox.deliver([8]) == false, "nothing is taken after the end")
        #expect(try await inbox.next()?.message == [7])
        await #expect(throws: ZTPClientError(.streamClosed(.forbidden), "closed")) { try await inbox.next() }
        #expect(try await inbox.next() == nil)
    }

    @Test("a waiting reader sees a normal end as nil")
    func normalEndWakesReader() async throws {
        let inbox = StreamInbox()
        async let taken = inbox.next()
        await Self.waitForReader(inbox)
        inbox.finish()
        #expect(try await taken == nil)
    }

    @Test("a cancelled reader stops waiting; a second reader at the same time is refused")
    func cancelAndBusy() async throws {
        let inbox = StreamInbox()
        let reader = Task { try await inbox.next() }
        await Self.waitForReader(inbox)
        await #expect(throws: ZTPClientError.self) { try await inbox.next() }
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        #expect(inbox.deliver([1]) == false, "the cancelled reader is gone; the message waits")
    }
}
