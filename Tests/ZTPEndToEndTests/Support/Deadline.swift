import ZTPTestSupport

/// Runs `body` in its own task and waits at most `timeout` for its result. For waits that
/// cannot be cancelled (a NIO future behind `ZTPClient.closed()`): on timeout the task is left
/// to finish when the server goes away, and the test fails instead of hanging.
func value<T: Sendable>(within timeout: Duration, of what: String,
                        _ body: @escaping @Sendable () async -> T) async throws -> T {
    let result = ResultBox<T>()
    Task { result.set(await body()) }
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = result.value { return value }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw E2EFailure("\(what) did not happen within \(timeout)")
}

private final class ResultBox<T: Sendable>: Sendable {
    private let state = LockedBox<T?>(nil)

    func set(_ value: T) {
        state.withLock { $0 = value }
    }

    var value: T? { state.withLock { $0 } }
}
