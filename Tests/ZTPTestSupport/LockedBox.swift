import Foundation

/// A value behind an `NSLock`, for test state touched from several threads. pthread's mutex
/// underneath, which ThreadSanitizer follows; it cannot see the futex inside Synchronization's
/// `Mutex`, and reports races through it (`make test-tsan`).
public final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
