#if canImport(Glibc)
import CMalloc
#endif
import ServiceLifecycle

/// Gives the heap's free pages back to the kernel every half minute (`malloc_trim`).
///
/// glibc returns freed memory only from the top of the heap; pages freed in the middle stay in
/// the process's RSS at their high-water mark. After a burst (many sessions reconnecting at
/// once after a revocation, bulk transfers together) RSS then stays at the burst's size, and
/// neither an operator nor the soak can tell that from a leak. Trimming costs one pass over the
/// arenas (milliseconds) every 30 s.
struct MemoryTrimmer: Service {
    var interval: Duration = .seconds(30)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                #if canImport(Glibc)
                _ = malloc_trim(0)
                #endif
            }
        }
    }
}
