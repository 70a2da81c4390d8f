import Testing
@testable import OpenAPIMicroHTTPD

/// The bounded body accumulator, fed chunk by chunk without a daemon.
@Suite("RequestBody")
struct RequestBodyTests {
    private func feed(_ body: RequestBody, _ bytes: [UInt8]) -> RequestBody.ChunkAction {
        bytes.withUnsafeBytes { body.receive($0) }
    }

    @Test("chunks up to exactly the limit are kept whole")
    func withinLimit() {
        let body = RequestBody(limit: 4)
        #expect(feed(body, [1, 2]) == .keepReading)
        #expect(feed(body, [3, 4]) == .keepReading)
        #expect(body.completeBody == [1, 2, 3, 4])
        #expect(!body.isTooLarge)
    }

    @Test("crossing the limit asks for a 413 once and keeps nothing")
    func crossing() {
        let body = RequestBody(limit: 4)
        #expect(feed(body, [1, 2, 3]) == .keepReading)
        #expect(feed(body, [4, 5]) == .rejectTooLarge)
        #expect(body.isTooLarge)
        #expect(body.completeBody == nil)
        #expect(feed(body, [6]) == .keepReading)
    }

    @Test("a client still sending past the discard allowance is cut off")
    func discardAllowance() {
        let body = RequestBody(limit: 4)
        let big = [UInt8](repeating: 0, count: RequestBody.discardAllowance)
        #expect(feed(body, [0, 0, 0, 0, 0]) == .rejectTooLarge)
        #expect(feed(body, big) == .closeConnection)
    }

    @Test("once answered, further chunks are ignored")
    func answered() {
        let body = RequestBody(limit: 4)
        body.markAnswered()
        #expect(feed(body, [1, 2, 3, 4, 5, 6]) == .keepReading)
        #expect(body.completeBody == nil)
    }
}
