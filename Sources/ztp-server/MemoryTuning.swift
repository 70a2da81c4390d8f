#if canImport(Glibc)
import CMalloc
#endif
import Foundation

/// glibc's allocator settings for a server whose sessions come and go by the thousand.
///
/// By default glibc raises its mmap threshold each time a large block is freed, so after a
/// while the receive buffers of bulk sessions (up to 256 KiB) come from the heap, where freed
/// ones leave holes that keep RSS high; and it keeps up to eight arenas per core. Measured with
/// `ztp-bench soak` (1,000 sessions churning, 90 s): RSS rose from 88 to 124 MiB over the load
/// and stayed at 121 MiB after the clients left; with a fixed 64 KiB threshold and one arena per
/// core it levelled at ~100 MiB within 12 s and fell back to 82 MiB (docs/RELIABILITY.md).
///
/// An operator's own settings (`GLIBC_TUNABLES`, `MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_`)
/// win: nothing is changed when any is set.
enum MemoryTuning {
    static func apply() {
        #if canImport(Glibc)
        let environment = ProcessInfo.processInfo.environment
        guard environment["GLIBC_TUNABLES"] == nil, environment["MALLOC_ARENA_MAX"] == nil,
              environment["MALLOC_MMAP_THRESHOLD_"] == nil else { return }
        _ = mallopt(M_MMAP_THRESHOLD, 64 << 10)
        _ = mallopt(M_ARENA_MAX, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
        #endif
    }
}
