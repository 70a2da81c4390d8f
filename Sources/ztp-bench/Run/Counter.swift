import Synchronization

/// Hands out 0, 1, 2, ... to concurrent workers.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).oldValue
    }
}
