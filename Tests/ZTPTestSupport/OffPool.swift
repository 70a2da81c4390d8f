import Foundation

/// Runs blocking work (socket reads, waiting for a process) on a thread of its own: a test
/// that blocks a cooperative thread takes it from every other test's tasks, and from the
/// handler tasks of an in-process server (two such threads on a two-core machine).
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// `offPool` for work that cannot fail.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
