import NIOConcurrencyHelpers

/// Admission for new connections before any crypto is spent on them: a cap on handshakes in
/// progress, and per source address a cap on its handshakes in progress and a token bucket
/// for its connection rate.
///
/// The per-address limits bite only under load, when more than half of the global cap is in
/// use (or always, if the operator says so): many real clients share one address, and on an
/// idle server a burst from one of them costs nobody anything. Buckets are kept up to date
/// at every connection, so the address that was hammering is the first one held back once
/// load arrives.
///
/// The bucket map is bounded: when it is full, buckets that have refilled completely (idle
/// sources) are dropped, and if that frees nothing the map starts over. Forgetting a bucket
/// only ever lets a source in sooner; the global cap still holds. The in-progress map holds
/// only addresses with a handshake in progress, so it is bounded by the global cap.
final class HandshakeGate: Sendable {
    enum Decision: Equatable {
        case admitted
        /// The global cap on handshakes in progress.
        case tooManyHandshakes
        /// This address has its most handshakes in progress (under load).
        case tooManyFromAddress
        /// This address connects faster than its rate (under load).
        case rateLimited

        /// The `reason` label of the refusal in /metrics.
        var reason: String {
            switch self {
            case .admitted: return "admitted"
            case .tooManyHandshakes: return "handshakes"
            case .tooManyFromAddress: return "handshakes_per_address"
            case .rateLimited: return "connection_rate"
            }
        }
    }

    struct Limits: Sendable {
        var maxHandshakes: Int
        var maxPerAddress: Int
        /// Connections per second per address; 0 is off.
        var ratePerSecond: Double
        var always: Bool
    }

    private struct Bucket {
        var tokens: Double
        var updatedAt: Double
    }

    private struct State {
        var pending = 0
        var pendingByAddress: [String: Int] = [:]
        var buckets: [String: Bucket] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let limits: Limits
    /// Two seconds' worth of the rate.
    private let burst: Double
    static let maxTrackedAddresses = 16_384

    init(_ limits: Limits) {
        self.limits = limits
        burst = max(1, 2 * limits.ratePerSecond)
    }

    /// Takes a slot for a new handshake from `address`, or says why not.
    func admit(address: String, now: Double) -> Decision {
        state.withLockedValue { state in
            guard state.pending < limits.maxHandshakes else { return .tooManyHandshakes }
            let enforce = limits.always || state.pending * 2 >= limits.maxHandshakes
            if enforce, state.pendingByAddress[address, default: 0] >= limits.maxPerAddress {
                return .tooManyFromAddress
            }
            if limits.ratePerSecond > 0, !takeToken(address: address, now: now, state: &state), enforce {
                return .rateLimited
            }
            state.pending += 1
            state.pendingByAddress[address, default: 0] += 1
            return .admitted
        }
    }

    /// The handshake admitted earlier for `address` finished or failed.
    func release(address: String) {
        state.withLockedValue { state in
            state.pending -= 1
            if let count = state.pendingByAddress[address], count > 1 {
                state.pendingByAddress[address] = count - 1
            } else {
                state.pendingByAddress[address] = nil
            }
        }
    }

    /// Refills the address's bucket and takes one token; false when it was empty.
    private func takeToken(address: String, now: Double, state: inout State) -> Bool {
        let rate = limits.ratePerSecond, burst = burst
        var bucket = state.buckets[address] ?? Bucket(tokens: burst, updatedAt: now)
        bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.updatedAt) * rate)
        bucket.updatedAt = now
        let available = bucket.tokens >= 1
        if available { bucket.tokens -= 1 }
        if state.buckets[address] == nil, state.buckets.count >= HandshakeGate.maxTrackedAddresses {
            state.buckets = state.buckets.filter { $0.value.tokens + (now - $0.value.updatedAt) * rate < burst }
            if state.buckets.count >= HandshakeGate.maxTrackedAddresses { state.buckets.removeAll() }
        }
        state.buckets[address] = bucket
        return available
    }
}
