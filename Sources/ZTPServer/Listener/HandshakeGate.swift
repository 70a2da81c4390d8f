import Synchronization

/// Admission for new connections before any crypto is spent on them: a cap on handshakes in
/// progress, and a token bucket per source address.
///
/// The per-address map is bounded: when it is full, buckets that have refilled completely
/// (idle sources) are dropped, and if that frees nothing the map starts over. Forgetting a
/// bucket only ever lets a source in sooner; the global cap still holds.
final class HandshakeGate: Sendable {
    enum Decision: Equatable { case admitted, tooManyPending, rateLimited }

    private struct Bucket {
        var tokens: Double
        var updatedAt: Double
    }

    private struct State {
        var pending = 0
        var buckets: [String: Bucket] = [:]
    }

    private let state = Mutex(State())
    private let maxPending: Int
    private let ratePerSecond: Double
    private let burst: Double
    static let maxTrackedAddresses = 16_384

    init(maxPending: Int, ratePerSecond: Double, burst: Double) {
        self.maxPending = maxPending
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }

    /// Takes a slot for a new handshake from `address`, or says why not.
    func admit(address: String, now: Double) -> Decision {
        state.withLock { state in
            guard state.pending < maxPending else { return .tooManyPending }
            var bucket = state.buckets[address] ?? Bucket(tokens: burst, updatedAt: now)
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updatedAt) * ratePerSecond)
            bucket.updatedAt = now
            guard bucket.tokens >= 1 else {
                state.buckets[address] = bucket
                return .rateLimited
            }
            bucket.tokens -= 1
            if state.buckets[address] == nil, state.buckets.count >= HandshakeGate.maxTrackedAddresses {
                let rate = ratePerSecond, burst = burst
                state.buckets = state.buckets.filter { $0.value.tokens + (now - $0.value.updatedAt) * rate < burst }
                if state.buckets.count >= HandshakeGate.maxTrackedAddresses { state.buckets.removeAll() }
            }
            state.buckets[address] = bucket
            state.pending += 1
            return .admitted
        }
    }

    /// The handshake admitted earlier finished or failed.
    func release() {
        state.withLock { $0.pending -= 1 }
    }
}
