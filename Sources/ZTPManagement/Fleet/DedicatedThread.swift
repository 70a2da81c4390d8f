import Foundation
import ServiceLifecycle

/// Runs `body` on a thread of its own until it returns; `stop` is called at graceful shutdown
/// or cancellation and must make `body` return soon. For the fleet's loops, whose store calls
/// block: a database that hangs must not hold a thread of Swift's cooperative pool.
func runOnDedicatedThread(named name: String, _ body: @escaping @Sendable () -> Void,
                          stop: @escaping @Sendable () -> Void) async {
    await withGracefulShutdownHandler {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    body()
                    continuation.resume()
                }
                thread.name = name
                thread.start()
            }
        } onCancel: {
            stop()
        }
    } onGracefulShutdown: {
        stop()
    }
}
