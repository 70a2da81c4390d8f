/// A counting semaphore for server processes: tests run in parallel, but only a few servers
/// at once, so that timing assertions (idle timeouts, "promptly") hold on a busy machine.
///
/// A test holds one slot however many servers it nests (a fleet of nodes): were each nested
/// server to take its own, tests that each hold one and wait for the next could deadlock.
actor ServerSlots {
    static let shared = ServerSlots(limit: 4)

    /// True inside a test that holds a slot already.
    @TaskLocal static var holding = false

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
