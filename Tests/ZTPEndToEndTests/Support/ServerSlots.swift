/// A counting semaphore for server processes: tests run in parallel, but only a few servers
/// at once, so that timing assertions (idle timeouts, "promptly") hold on a busy machine.
actor ServerSlots {
    static let shared = ServerSlots(limit: 4)

    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) {
        available = limit
    }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
