import Foundation
import NIOConcurrencyHelpers
import NIOCore

/// The last `capacity` seconds of the server as per-second samples (15 minutes by default).
///
/// `record` turns running totals into deltas against the previous recording; the sampler calls
/// it once a second. Memory is bounded by `capacity` samples, whatever the callers do.
public final class StatsHistory: Sendable {
    public static let defaultCapacity = 900

    public let capacity: Int
    private let state: NIOLockedValueBox<State>

    private struct State {
        var samples: CircularBuffer<StatsSample>
        var previous: ServerTotals.Snapshot
        var previousHTTP: Int
    }

    /// - Parameter baseline: the totals the first recording's deltas count from (by default
    ///   zero, the start of the process).
    public init(capacity: Int = StatsHistory.defaultCapacity, baseline: ServerTotals.Snapshot = .init(),
                baselineHTTPRequests: Int = 0) {
        precondition(capacity >= 1)
        self.capacity = capacity
        state = NIOLockedValueBox(State(samples: CircularBuffer(initialCapacity: capacity), previous: baseline,
                                        previousHTTP: baselineHTTPRequests))
    }

    /// Records the second containing `now`. A second recorded twice (a late tick, a clock
    /// step) keeps one sample, its deltas summed and its gauges the latest. Returns it.
    @discardableResult
    public func record(now: Date, totals: ServerTotals.Snapshot, httpRequests: Int) -> StatsSample {
        let second = Date(timeIntervalSince1970: (now.timeIntervalSince1970).rounded(.down))
        return state.withLockedValue { state in
            func delta(_ new: Int, _ old: Int) -> Int { max(0, new - old) }
            var failed: [String: Int] = [:]
            for (reason, count) in totals.handshakesFailed {
                let change = delta(count, state.previous.handshakesFailed[reason] ?? 0)
                if change > 0 { failed[reason] = change }
            }
            var sample = StatsSample(time: second, sessions: totals.sessions, streams: totals.streams,
                                     handshakesOK: delta(totals.handshakesOK, state.previous.handshakesOK),
                                     handshakesFailed: failed,
                                     bytesIn: delta(totals.bytesIn, state.previous.bytesIn),
                                     bytesOut: delta(totals.bytesOut, state.previous.bytesOut),
                                     framesIn: delta(totals.framesIn, state.previous.framesIn),
                                     framesOut: delta(totals.framesOut, state.previous.framesOut),
                                     chatMessages: delta(totals.chatMessages, state.previous.chatMessages),
                                     httpRequests: delta(httpRequests, state.previousHTTP))
            state.previous = totals
            state.previousHTTP = httpRequests
            if let last = state.samples.last, last.time == second {
                sample = Self.merge(last, sample)
                state.samples[state.samples.index(before: state.samples.endIndex)] = sample
            } else {
                if state.samples.count >= capacity { state.samples.removeFirst() }
                state.samples.append(sample)
            }
            return sample
        }
    }

    /// The samples whose second is strictly after `since` (all when nil), oldest first.
    public func samples(since: Date? = nil) -> [StatsSample] {
        state.withLockedValue { state in
            guard let since else { return Array(state.samples) }
            return state.samples.filter { $0.time > since }
        }
    }

    private static func merge(_ earlier: StatsSample, _ later: StatsSample) -> StatsSample {
        var merged = later
        merged.handshakesOK += earlier.handshakesOK
        merged.handshakesFailed.merge(earlier.handshakesFailed, uniquingKeysWith: +)
        merged.bytesIn += earlier.bytesIn
        merged.bytesOut += earlier.bytesOut
        merged.framesIn += earlier.framesIn
        merged.framesOut += earlier.framesOut
        merged.chatMessages += earlier.chatMessages
        merged.httpRequests += earlier.httpRequests
        return merged
    }
}
