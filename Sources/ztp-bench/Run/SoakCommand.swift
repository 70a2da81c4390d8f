import ArgumentParser
import Foundation

/// `ztp-bench soak`: the churn soak of issue 11 against the real `ztp-server` next to this
/// executable. Prints the figures, writes the samples (JSON) and the plot (SVG), and exits
/// non-zero when a pass criterion fails. Not part of `run`: it takes minutes by design.
struct SoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "soak", abstract: "Churn sessions against ztp-server and check it stays flat.")

    @Option(help: "Seconds of churn")
    var seconds: Double = 600

    @Option(help: "Concurrent churning sessions (one loopback source address each)")
    var sessions = 1000

    @Option(help: "Seconds of warm-up excluded from the RSS trend (default: a fifth of the run, at most 120)")
    var warmup: Double?

    @Option(help: "Write the plot here")
    var svg = "soak.svg"

    @Option(help: "Write the samples and figures here as JSON")
    var json: String?

    func validate() throws {
        guard seconds >= 10 else { throw ValidationError("--seconds must be at least 10") }
        guard (1...5000).contains(sessions) else { throw ValidationError("--sessions must be 1 to 5000") }
    }

    func run() async throws {
        Limits.raiseOpenFiles()
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let serverExecutable = ((executable as NSString).deletingLastPathComponent as NSString).appendingPathComponent("ztp-server")
        guard FileManager.default.isExecutableFile(atPath: serverExecutable) else {
            throw BenchError("\(serverExecutable) is missing: build it with swift build -c release --product ztp-server")
        }
        let scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("ztp-soak-\(getpid())")
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let warm = warmup ?? min(120, seconds / 5)
        log("ztp-bench soak: \(sessions) sessions for \(Int(seconds)) s, warm-up \(Int(warm)) s, on \(Machine.current(command: "ztp-bench soak").summary)")
        let scenario = SoakScenario(seconds: seconds, sessions: sessions, warmup: warm, serverExecutable: serverExecutable, scratch: scratch)
        let result = try await scenario.run()
        let loadEnd = result.samples.last(where: { $0.clientSessions > 0 })?.t ?? seconds

        log("")
        for (name, count) in result.counts.sorted(by: { $0.key < $1.key }) { log("  " + name.padding(toLength: 40, withPad: " ", startingAt: 0) + " \(count)") }
        func counts(_ values: [String: Double]) -> String {
            values.isEmpty ? "none" : values.sorted { $0.key < $1.key }.map { "\($0.key) \(Int($0.value))" }.joined(separator: ", ")
        }
        log("  server closed sessions by reason: " + counts(result.serverClosedReasons))
        log("  server's handshakes by result: " + counts(result.serverHandshakes))
        log("  server's protocol errors by kind: " + counts(result.serverProtocolErrors))
        let peakSessions = result.samples.map(\.sessions).max() ?? 0
        let peakRSS = (result.samples.map(\.rssBytes).max() ?? 0) >> 20
        log("  peak: \(peakSessions) sessions, RSS \(peakRSS) MiB, \(result.samples.map(\.fds).max() ?? 0) fds, \(result.samples.map(\.threads).max() ?? 0) threads")
        log(String(format: "  RSS after warm-up: %+.2f%% over the load (slope %.1f KiB/min)", result.rssGrowthPercent, result.rssSlopeKiBPerMinute))
        log(String(format: "  heap in use after warm-up: %+.2f%% over the load (slope %.1f KiB/min)",
                   result.heapInUseGrowthPercent, result.heapInUseSlopeKiBPerMinute))
        for (name, sample) in [("baseline:", result.baseline), ("after:   ", result.final)] {
            log("  \(name) \(sample.fds) fds, \(sample.sessions) sessions, \(sample.threads) threads, RSS \(sample.rssBytes >> 20) MiB "
                + "(anonymous \(sample.rssAnonBytes >> 20)), heap in use \(sample.heapInUseBytes >> 20) MiB, free \(sample.heapFreeBytes >> 20) MiB")
        }

        try SoakPlot.svg(result, loadEnd: loadEnd).write(toFile: svg, atomically: true, encoding: .utf8)
        log("  wrote \(svg)")
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: json))
            log("  wrote \(json)")
        }
        if result.passed {
            log("soak PASSED")
        } else {
            for failure in result.failures { log("  FAIL: \(failure)") }
            throw BenchError("soak FAILED")
        }
    }
}
