import Testing
@testable import ZTPServer

@Suite("Chat activity gathered for events")
struct ChatActivityTests {
    /// What `take` announces, as [messages, bytes].
    static func take(_ activity: inout ChatActivity, now: Double) -> [Int]? {
        activity.take(now: now).map { [$0.messages, $0.bytes] }
    }

    @Test("the first message after a quiet second is announced at once; the rest of that second once, when it ends")
    func gathering() {
        var activity = ChatActivity()
        #expect(activity.add(bytes: 10, now: 100) == .announce)
        #expect(Self.take(&activity, now: 100) == [1, 10])
        #expect(activity.add(bytes: 5, now: 100.2) == .announceAt(101))
        #expect(activity.add(bytes: 7, now: 100.5) == .gathering)
        #expect(activity.add(bytes: 1, now: 100.9) == .gathering)
        #expect(Self.take(&activity, now: 101) == [3, 13])
        #expect(Self.take(&activity, now: 101) == nil, "nothing gathered, nothing to announce")
        #expect(activity.add(bytes: 2, now: 101.5) == .announceAt(102))
        #expect(Self.take(&activity, now: 102) == [1, 2])
        #expect(activity.add(bytes: 3, now: 104) == .announce, "a quiet second again: at once")
    }

    @Test("postponed for the server's budget, a session keeps gathering until its retry, then announces the whole count")
    func postponed() {
        var activity = ChatActivity()
        #expect(activity.add(bytes: 4, now: 10) == .announce)
        #expect(activity.postpone(now: 10) == 11)
        #expect(activity.add(bytes: 6, now: 10.4) == .gathering, "the retry is already due")
        #expect(Self.take(&activity, now: 11) == [2, 10])
    }

    @Test("the server's chat events: a second's worth at once, then one per share of a second")
    func budget() {
        let budget = ChatEventBudget(perSecond: 20)
        #expect((0..<20).allSatisfy { _ in budget.take(now: 5) })
        #expect(!budget.take(now: 5))
        #expect(!budget.take(now: 5.04))
        #expect(budget.take(now: 5.1))
        #expect((0..<20).filter { _ in budget.take(now: 100) }.count == 20, "a quiet while refills only to a second's worth")
    }
}
