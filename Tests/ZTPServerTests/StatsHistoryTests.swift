import Foundation
import Synchronization
import ZTPCore
import Testing
@testable import ZTPServer

@Suite("Stats history")
struct StatsHistoryTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func totals(sessions: Int = 0, handshakes: Int = 0, failed: [String: Int] = [:], bytesIn: Int = 0,
                       chat: Int = 0) -> ServerTotals.Snapshot {
        var snapshot = ServerTotals.Snapshot()
        snapshot.sessions = sessions
        snapshot.handshakesOK = handshakes
        snapshot.handshakesFailed = failed
        snapshot.bytesIn = bytesIn
        snapshot.chatMessages = chat
        return snapshot
    }

    @Test("counters become per-second deltas; gauges are taken as they are")
    func deltas() {
        let history = StatsHistory()
        history.record(now: Self.t0.addingTimeInterval(0.4), totals: Self.totals(sessions: 2, handshakes: 3, bytesIn: 100),
                       httpRequests: 5)
        history.record(now: Self.t0.addingTimeInterval(1.2),
                       totals: Self.totals(sessions: 1, handshakes: 7, failed: ["auth_failed": 2], bytesIn: 250, chat: 4),
                       httpRequests: 9)
        history.record(now: Self.t0.addingTimeInterval(2.1),
                       totals: Self.totals(sessions: 1, handshakes: 7, failed: ["auth_failed": 2, "timeout": 1], bytesIn: 250, chat: 4),
                       httpRequests: 9)
        let samples = history.samples()
        #expect(samples.map(\.time) == [Self.t0, Self.t0.addingTimeInterval(1), Self.t0.addingTimeInterval(2)])
        #expect(samples.map(\.sessions) == [2, 1, 1])
        #expect(samples.map(\.handshakesOK) == [3, 4, 0])
        #expect(samples.map(\.handshakesFailed) == [[:], ["auth_failed": 2], ["timeout": 1]])
        #expect(samples.map(\.bytesIn) == [100, 150, 0])
        #expect(samples.map(\.chatMessages) == [0, 4, 0])
        #expect(samples.map(\.httpRequests) == [5, 4, 0])
    }

    @Test("a second recorded twice keeps one sample with the deltas summed")
    func sameSecondMerges() {
        let history = StatsHistory()
        history.record(now: Self.t0, totals: Self.totals(handshakes: 1), httpRequests: 1)
        history.record(now: Self.t0.addingTimeInterval(0.9), totals: Self.totals(sessions: 3, handshakes: 4), httpRequests: 2)
        let samples = history.samples()
        #expect(samples.count == 1)
        #expect(samples.first?.handshakesOK == 4)
        #expect(samples.first?.httpRequests == 2)
        #expect(samples.first?.sessions == 3)
    }

    @Test("at most 900 samples are kept, the newest")
    func capacity() {
        let history = StatsHistory()
        #expect(history.capacity == 900)
        for second in 0..<1_000 {
            history.record(now: Self.t0.addingTimeInterval(Double(second)), totals: Self.totals(handshakes: second),
                           httpRequests: 0)
        }
        let samples = history.samples()
        #expect(samples.count == 900)
        #expect(samples.first?.time == Self.t0.addingTimeInterval(100))
        #expect(samples.last?.time == Self.t0.addingTimeInterval(999))
    }

    @Test("since returns the samples strictly after it")
    func sinceFilter() {
        let history = StatsHistory()
        for second in 0..<10 {
            history.record(now: Self.t0.addingTimeInterval(Double(second)), totals: Self.totals(), httpRequests: 0)
        }
        #expect(history.samples(since: Self.t0.addingTimeInterval(6)).map(\.time)
                == [7, 8, 9].map { Self.t0.addingTimeInterval($0) })
        #expect(history.samples(since: Self.t0.addingTimeInterval(6.5)).count == 3)
        #expect(history.samples(since: Self.t0.addingTimeInterval(9)).isEmpty)
        #expect(history.samples(since: Self.t0.addingTimeInterval(-1)).count == 10)
    }

    @Test("totals count what the metrics count, by reason; unknown reasons count as other")
    func totalsFromMetrics() {
        let metrics = ServerMetrics()
        metrics.handshake("ok")
        metrics.handshake("ok")
        metrics.handshake("auth_failed")
        metrics.handshake("something_new")
        metrics.sessionStarted()
        metrics.streamStarted()
        metrics.streamStarted()
        metrics.streamLeft()
        metrics.chatMessage()
        var old = SessionStatistics()
        old.bytesIn = 10
        var new = old
        new.bytesIn = 25
        new.framesOut = 2
        metrics.traffic(from: old, to: new)
        let snapshot = metrics.totals.snapshot()
        #expect(snapshot.handshakesOK == 2)
        #expect(snapshot.handshakesFailed == ["auth_failed": 1, "other": 1])
        #expect(snapshot.sessions == 1 && snapshot.streams == 1)
        #expect(snapshot.chatMessages == 1)
        #expect(snapshot.bytesIn == 15 && snapshot.framesOut == 2 && snapshot.bytesOut == 0)
    }

    @Test("the sampler records one sample per tick until it is cancelled")
    func sampler() async throws {
        let history = StatsHistory()
        let totals = ServerTotals()
        // Wall time advances one second per sample, whatever the real clock does.
        let ticks = Atomic<Int>(0)
        let sampler = StatsSampler(history: history, totals: totals, httpRequests: { 7 }, clock: ContinuousClock(),
                                   interval: .milliseconds(5),
                                   now: { Self.t0.addingTimeInterval(Double(ticks.add(1, ordering: .relaxed).oldValue)) })
        let task = Task { try await sampler.sample() }
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while history.samples().count < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        try await task.value
        let samples = history.samples()
        #expect(samples.count >= 3)
        #expect(samples.first?.httpRequests == 7)
        #expect(samples.dropFirst().allSatisfy { $0.httpRequests == 0 })
        #expect(zip(samples, samples.dropFirst()).allSatisfy { $1.time.timeIntervalSince($0.time) == 1 })
    }
}
