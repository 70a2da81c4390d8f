import Testing
@testable import ZTPClient

/// The rules that let `ZTPStream.send` return without waiting for the event loop, and keep
/// what it hands over bounded.
@Suite("Send gate")
struct SendGateTests {
    static func established() -> SendGate {
        let gate = SendGate()
        gate.established(maxMessage: 65_536)
        return gate
    }

    @Test("nothing goes without waiting before the session is established")
    func beforeEstablished() throws {
        #expect(try SendGate().admit(stream: 1, count: 1) == false)
    }

    @Test("handed-over bytes are bounded; handled bytes make room again")
    func pipelineBound() throws {
        let gate = Self.established()
        let messages = SendGate.pipelineBytes / 65_536
        for _ in 0..<messages { #expect(try gate.admit(stream: 1, count: 65_536)) }
        #expect(try gate.admit(stream: 1, count: 1) == false, "the bound is reached")
        #expect(try gate.admit(stream: 3, count: 1) == false, "the bound is per session, not per stream")
        gate.handled(count: 65_536)
        #expect(try gate.admit(stream: 1, count: 65_536))
    }

    @Test("a message larger than max_frame takes the waiting path, where its error is thrown")
    func tooLarge() throws {
        #expect(try Self.established().admit(stream: 1, count: 65_537) == false)
    }

    @Test("a stream with messages queued behind the window waits until it flows again; others do not")
    func queuedStreamWaits() throws {
        let gate = Self.established()
        gate.queued(stream: 1)
        #expect(try gate.admit(stream: 1, count: 10) == false)
        #expect(try gate.admit(stream: 2, count: 10))
        gate.flowing(stream: 1)
        #expect(try gate.admit(stream: 1, count: 10))
    }

    @Test("a failure on the loop is thrown once, by the next send on that stream only")
    func failureReportedOnce() throws {
        let gate = Self.established()
        gate.failed(stream: 1, ZTPClientError(.closedLocally, "first"))
        gate.failed(stream: 1, ZTPClientError(.closedLocally, "second"))
        #expect(try gate.admit(stream: 2, count: 10))
        #expect(throws: ZTPClientError(.closedLocally, "first")) { try gate.admit(stream: 1, count: 10) }
        #expect(try gate.admit(stream: 1, count: 10))
    }

    @Test("reopening a stream id forgets what its earlier use left")
    func reopenForgets() throws {
        let gate = Self.established()
        gate.queued(stream: 1)
        gate.failed(stream: 1, ZTPClientError(.closedLocally, "old"))
        gate.opened(stream: 1)
        #expect(try gate.admit(stream: 1, count: 10))
    }

    @Test("after the session ends every send throws the reason it ended")
    func finished() throws {
        let gate = Self.established()
        let reason = ZTPClientError(.closedByServer(.terminated), "terminated")
        gate.finish(reason)
        gate.finish(ZTPClientError(.disconnected, "later"))
        #expect(throws: reason) { try gate.admit(stream: 1, count: 1) }
        #expect(throws: reason) { try gate.admit(stream: 9, count: 1) }
    }
}
