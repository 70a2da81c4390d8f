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

extension Stats {
    /// Least-squares line through the points; slope 0 for fewer than two distinct x.
    static func linearFit(_ points: [(x: Double, y: Double)]) -> (slope: Double, intercept: Double) {
        let n = Double(points.count)
        guard n >= 2 else { return (0, points.first?.y ?? 0) }
        let meanX = points.map(\.x).reduce(0, +) / n
        let meanY = points.map(\.y).reduce(0, +) / n
        let sxx = points.map { ($0.x - meanX) * ($0.x - meanX) }.reduce(0, +)
        guard sxx > 0 else { return (0, meanY) }
        let sxy = points.map { ($0.x - meanX) * ($0.y - meanY) }.reduce(0, +)
        return (sxy / sxx, meanY - sxy / sxx * meanX)
    }
}
