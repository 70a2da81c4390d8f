import Synchronization

/// Hands out 0, 1, 2, ... to concurrent workers; also counts events from many tasks.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// How many `next()` calls there have been.
    var count: Int {
        value.load(ordering: .relaxed)
    }
}
