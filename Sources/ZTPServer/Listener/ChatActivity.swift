import NIOConcurrencyHelpers

/// One session's chat messages, gathered for `chat.sent` events.
///
/// The first message after a quiet second is announced at once, the ones that follow within
/// the second together when it ends: an operator tailing `/v1/events` sees a session chatting
/// as it happens, and a session chatting at line rate costs the event stream at most one event
/// a second (the hub drops subscribers that fall behind, so a flood must not reach it).
struct ChatActivity {
    static let interval = 1.0

    enum Next: Equatable {
        /// Announce now (`take`).
        case announce
        /// Announce what has gathered at this monotonic instant.
        case announceAt(Double)
        /// An announcement is already due; nothing to do.
        case gathering
    }

    private var messages = 0
    private var bytes = 0
    /// Before this monotonic instant a message is gathered, not announced at once.
    private var quietUntil = -Double.infinity
    /// An announcement is set for `quietUntil`.
    private var due = false

    /// Counts one message of `bytes` sent at `now` and says when to announce.
    mutating func add(bytes: Int, now: Double) -> Next {
        messages += 1
        self.bytes += bytes
        if now >= quietUntil { return .announce }
        if due { return .gathering }
        due = true
        return .announceAt(quietUntil)
    }

    /// Messages gathered and not announced yet.
    var gathered: Int { messages }

    /// Announcing is put off (the server's budget is spent): the next message does not
    /// announce at once, and a timer due at `now + interval` must be set.
    mutating func postpone(now: Double) -> Double {
        due = true
        quietUntil = now + Self.interval
        return quietUntil
    }

    /// What has gathered since the last announcement, now announced; nil when nothing has.
    mutating func take(now: Double) -> (messages: Int, bytes: Int)? {
        due = false
        guard messages > 0 else { return nil }
        defer {
            messages = 0
            bytes = 0
            quietUntil = now + Self.interval
        }
        return (messages, bytes)
    }
}

/// The `chat.sent` events the whole server may publish a second. A thousand chatting sessions
/// would otherwise publish a thousand a second, and an event subscriber (the dashboard's tail)
/// that cannot keep up is dropped. A session refused here keeps gathering and tries again a
/// second later, so its counts arrive late but whole.
final class ChatEventBudget: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilledAt: Double
    }

    let perSecond: Double
    private let bucket: NIOLockedValueBox<Bucket>

    init(perSecond: Double) {
        precondition(perSecond > 0)
        self.perSecond = perSecond
        bucket = NIOLockedValueBox(Bucket(tokens: perSecond, refilledAt: -Double.infinity))
    }

    /// Takes one event's place at `now`; false when this second's are gone.
    func take(now: Double) -> Bool {
        bucket.withLockedValue { bucket in
            bucket.tokens = min(perSecond, bucket.tokens + max(0, now - bucket.refilledAt) * perSecond)
            bucket.refilledAt = now
            guard bucket.tokens >= 1 else { return false }
            bucket.tokens -= 1
            return true
        }
    }
}
