import Foundation

/// CPU time and resident memory of another process, from `/proc`.
struct ProcStats: Equatable {
    /// utime + stime of all threads, seconds.
    var cpuSeconds: Double
    /// VmRSS, bytes.
    var residentBytes: Int

    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Reads `/proc/PID/stat` (fields 14 and 15, in clock ticks) and `/proc/PID/status`.
    static func read(pid: Int32) throws -> ProcStats {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name (field 2) may hold spaces; fields after the last ')' are fixed.
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("cannot parse /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]) else {
            throw BenchError("cannot parse /proc/\(pid)/stat")
        }
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        var rss = 0
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            rss = (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return ProcStats(cpuSeconds: (utime + stime) / ticksPerSecond, residentBytes: rss)
    }
}

/// Why the bench could not measure something.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
