#if canImport(Glibc)
import CMalloc
#endif
import Foundation

/// The process figures Prometheus users expect (`process_*`), read from /proc at scrape time.
enum ProcessMetrics {
    static let startTime = Date().timeIntervalSince1970

    static func text() -> String {
        var lines: [String] = []
        func gauge(_ name: String, _ help: String, _ value: Double, type: String = "gauge") {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            lines.append("\(name) \(value)")
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", cpu, type: "counter")
        gauge("process_resident_memory_bytes", "Resident memory size in bytes.", Double(residentBytes()))
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        gauge("process_open_fds", "Number of open file descriptors.", Double(fds))
        gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", startTime)
        // What of the resident memory is live data and what malloc keeps: a leak grows the first;
        // the allocator settling (a new per-thread arena, fragmentation) grows only the second.
        #if canImport(Glibc)
        let heap = mallinfo2()
        gauge("ztp_heap_in_use_bytes", "Bytes allocated through malloc and not yet freed.", Double(heap.uordblks + heap.hblkhd))
        gauge("ztp_heap_free_bytes", "Bytes malloc holds free in its arenas for reuse.", Double(heap.fordblks))
        #endif
        return lines.joined(separator: "\n") + "\n"
    }

    /// VmRSS from /proc/self/status, in bytes.
    static func residentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return digits * 1024
        }
        return 0
    }
}
