import Testing
@testable import ZTPClient

/// Credit may go back only within bounds: the inbox counts a message consumed on the loop
/// when a reader waits for it or the counted unread bytes stay within the limit; the reader
/// reports the rest as it takes them.
@Suite("Stream inbox")
struct StreamInboxTests {
    /// Waits until a reader is parked: a delivery then goes straight to it.
    static func waitForReader(_ inbox: StreamInbox) async {
        while !inbox.hasWaitingReader { await Task.yield() }
    }

    @Test("a message for a waiting reader is handed over and counted by the loop")
    func directHandOff() async throws {
        let inbox = StreamInbox(creditedLimit: 0)
        async let taken = inbox.next()
        await Self.waitForReader(inbox)
        #expect(inbox.deliver([1, 2, 3]))
        let result = try await taken
        #expect(result?.message == [1, 2, 3])
        #expect(result?.report == false)
    }

    @Test("unread messages are counted up to the limit; beyond it the reader reports them")
    func countedUpToLimit() async throws {
        let inbox = StreamInbox(creditedLimit: 10)
        #expect(inbox.deliver([UInt8](repeating: 1, count: 6)))
        #expect(inbox.deliver([UInt8](repeating: 2, count: 4)))
        #expect(inbox.deliver([3]) == false, "11 bytes would exceed the limit of 10")
        #expect(try await inbox.next()?.report == false)
        // Taking the first message frees its 6 bytes of the limit.
        #expect(inbox.deliver([UInt8](repeating: 4, count: 6)))
        #expect(inbox.deliver([5]) == false)
        let rest = [try await inbox.next(), try await inbox.next(), try await inbox.next(), try await inbox.next()]
        #expect(rest.map { $0?.message.first } == [2, 3, 4, 5])
        #expect(rest.map { $0?.report } == [false, true, false, true])
    }

    @Test("the end comes after what is buffered; an error is thrown once, then the sequence is over")
    func endAfterBuffer() async throws {
        let inbox = StreamInbox(creditedLimit: 100)
        _ = inbox.deliver([7])
        inbox.finish(throwing: ZTPClientError(.streamClosed(.forbidden), "closed"))
        #expect(inbox.deliver([8]) == false, "nothing is taken after the end")
        #expect(try await inbox.next()?.message == [7])
        await #expect(throws: ZTPClientError(.streamClosed(.forbidden), "closed")) { try await inbox.next() }
        #expect(try await inbox.next() == nil)
    }

    @Test("a waiting reader sees a normal end as nil")
    func normalEndWakesReader() async throws {
        let inbox = StreamInbox(creditedLimit: 100)
        async let taken = inbox.next()
        await Self.waitForReader(inbox)
        inbox.finish()
        #expect(try await taken == nil)
    }

    @Test("a cancelled reader stops waiting; a second reader at the same time is refused")
    func cancelAndBusy() async throws {
        let inbox = StreamInbox(creditedLimit: 0)
        let reader = Task { try await inbox.next() }
        await Self.waitForReader(inbox)
        await #expect(throws: ZTPClientError.self) { try await inbox.next() }
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        #expect(inbox.deliver([1]) == false, "the cancelled reader is gone; the message waits, not counted")
    }
}
