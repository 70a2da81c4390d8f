import Foundation

/// Order statistics over samples.
enum Stats {
    static func median(_ values: [Double]) -> Double {
        percentile(values, 50)
    }

    /// Nearest-rank percentile (`p` in 0...100); NaN for no samples.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// Seconds on a monotonic clock.
func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// CPU seconds this thread has used: timings of single-threaded loops that do not count the
/// time other processes on a shared machine take from it.
func threadCPUTime() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Prints a progress line at once, also when stdout is a file (`make bench | tee`).
func log(_ line: String) {
    print(line)
    fflush(nil)
}
