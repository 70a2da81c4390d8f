import Foundation

/// A value behind an `NSLock`: pthread's mutex underneath, which ThreadSanitizer follows
/// (it cannot see the futex inside Synchronization's `Mutex`, and reports races through it).
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
