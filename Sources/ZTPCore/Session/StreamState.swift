/// One open stream of a session: windows both ways, idle bookkeeping, counters, and the
/// messages waiting for window (ZTP-1 sections 4 and 4.1).
public struct StreamState: Sendable {
    public let id: UInt32
    public let openedAt: Double
    /// Last DATA in either direction (the idle timeout counts from here).
    public internal(set) var lastActivity: Double
    /// Last DATA this side sent (a client keeps listening streams alive from here).
    public internal(set) var lastSent: Double
    /// What this side may still send.
    public internal(set) var sendWindow: FlowControlWindow
    /// What the peer may still send.
    public internal(set) var receiveWindow: FlowControlWindow
    var credit: InboundCredit
    public internal(set) var bytesIn: UInt64 = 0
    public internal(set) var bytesOut: UInt64 = 0
    public internal(set) var framesIn: UInt64 = 0
    public internal(set) var framesOut: UInt64 = 0
    /// Messages accepted for sending but not yet admitted by the window, oldest first.
    var queue = OutboundQueue()

    init(id: UInt32, window: Int, now: Double) {
        self.id = id
        openedAt = now
        lastActivity = now
        lastSent = now
        sendWindow = FlowControlWindow(initial: window)
        receiveWindow = FlowControlWindow(initial: window)
        credit = InboundCredit(target: window)
    }

    public var queuedBytes: Int { queue.byteCount }
}

/// A FIFO of whole messages; each leaves as one DATA frame.
struct OutboundQueue: Sendable {
    private var items: [[UInt8]] = []
    private var head = 0
    private(set) var byteCount = 0

    var isEmpty: Bool { head == items.count }
    var first: [UInt8]? { isEmpty ? nil : items[head] }

    mutating func append(_ message: [UInt8]) {
        items.append(message)
        byteCount += message.count
    }

    mutating func removeFirst() -> [UInt8] {
        let message = items[head]
        items[head] = []
        head += 1
        byteCount -= message.count
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return message
    }
}
