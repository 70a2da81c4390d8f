import ZTPTestSupport

/// A child process's exit status, set by Foundation's termination handler on its own thread.
final class ExitStatus: Sendable {
    private let status = LockedBox<Int32?>(nil)

    func set(_ value: Int32) {
        status.withLock { $0 = value }
    }

    /// Nil while the process runs.
    var value: Int32? { status.withLock { $0 } }
}
