import Foundation
import ServiceLifecycle

/// Records one stats sample a second into a `StatsHistory`, until graceful shutdown or
/// cancellation. A lifecycle service; its clock and wall time are injectable for tests.
public struct StatsSampler<C: Clock>: Service where C.Duration == Duration {
    private let history: StatsHistory
    private let totals: ServerTotals
    private let httpRequests: @Sendable () -> Int
    private let clock: C
    private let interval: Duration
    private let now: @Sendable () -> Date

    /// - Parameter httpRequests: the management API's request count so far (a running total).
    public init(history: StatsHistory, totals: ServerTotals, httpRequests: @escaping @Sendable () -> Int,
                clock: C, interval: Duration = .seconds(1), now: @escaping @Sendable () -> Date = { Date() }) {
        self.history = history
        self.totals = totals
        self.httpRequests = httpRequests
        self.clock = clock
        self.interval = interval
        self.now = now
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await sample()
        }
    }

    /// Samples at every `interval` on `clock` (on a schedule, so samples do not drift) until
    /// the task is cancelled; returns then.
    public func sample() async throws {
        var next = clock.now.advanced(by: interval)
        while !Task.isCancelled {
            do {
                try await clock.sleep(until: next, tolerance: nil)
            } catch is CancellationError {
                return
            }
            history.record(now: now(), totals: totals.snapshot(), httpRequests: httpRequests())
            next = next.advanced(by: interval)
            // After a stall (a suspended process), skip the missed ticks instead of bursting.
            let current = clock.now
            if next < current { next = current.advanced(by: interval) }
        }
    }
}

extension StatsSampler where C == ContinuousClock {
    public init(history: StatsHistory, totals: ServerTotals, httpRequests: @escaping @Sendable () -> Int) {
        self.init(history: history, totals: totals, httpRequests: httpRequests, clock: ContinuousClock())
    }
}
