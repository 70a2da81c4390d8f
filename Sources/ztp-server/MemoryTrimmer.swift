#if canImport(Glibc)
import CMalloc
#endif
import Dispatch
import Metrics
import ServiceLifecycle

/// Gives the heap's free pages back to the kernel every ten seconds (`malloc_trim`).
///
/// glibc returns freed memory only from the top of the heap; pages freed in the middle stay in
/// the process's RSS at their high-water mark. After a burst (many sessions reconnecting at
/// once after a revocation, bulk transfers together) RSS then stays at the burst's size, and
/// neither an operator nor the soak can tell that from a leak. Ten seconds is jemalloc's default
/// decay for dirty pages: freed memory goes back within seconds, and a page reused meanwhile
/// costs nothing. Each pass over the arenas is timed in `ztp_heap_trim_duration_seconds`
/// (docs/RELIABILITY.md has the figures that chose the interval).
struct MemoryTrimmer: Service {
    var interval: Duration = .seconds(10)

    func run() async throws {
        let duration = Metrics.Timer(label: "ztp_heap_trim_duration_seconds", preferredDisplayUnit: .seconds)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                #if canImport(Glibc)
                let start = DispatchTime.now().uptimeNanoseconds
                _ = malloc_trim(0)
                duration.recordNanoseconds(DispatchTime.now().uptimeNanoseconds - start)
                #endif
            }
        }
    }
}
