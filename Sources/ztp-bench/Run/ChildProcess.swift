import Foundation

/// A process the bench started: the ZTP server, the echo server, OpenSSL or Python.
///
/// Standard output is a pipe (servers announce `ready PORT` on it); standard error goes to a
/// log file in the run's scratch directory, shown when something fails.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let name: String
    let logPath: String
    private let output = Pipe()
    private let input = Pipe()

    var pid: Int32 { process.processIdentifier }

    init(name: String, executable: String, arguments: [String], environment: [String: String] = [:], logDirectory: String) throws {
        self.name = name
        logPath = (logDirectory as NSString).appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = output
        // Kept open (`openssl s_server` ends when its stdin does); `send(line:)` writes to it.
        process.standardInput = input
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        // Our copy of the write end, closed so that reading sees end-of-file when the child exits.
        try? output.fileHandleForWriting.close()
    }

    /// Reads standard output until a line starting with `prefix`; returns the rest of it.
    func waitForLine(prefix: String, timeout: Double = 30) async throws -> String {
        let handle = output.fileHandleForReading
        let name = self.name, log = logPath, pid = self.pid
        let reader = Task {
            try await onThread {
                var buffered = ""
                while true {
                    let data = handle.availableData
                    if data.isEmpty { throw BenchError("\(name) exited before '\(prefix)'; log: \(ChildProcess.tail(log))") }
                    buffered += String(decoding: data, as: UTF8.self)
                    for line in buffered.split(separator: "\n") where line.hasPrefix(prefix) {
                        return String(line.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
                    }
                }
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(timeout))
            // Ends the blocked read above.
            kill(pid, SIGKILL)
        }
        defer { watchdog.cancel() }
        return try await reader.value
    }

    /// Writes `line` and a newline to the process's standard input.
    func send(line: String) {
        try? input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Everything the process writes to stdout until it exits.
    func readAllOutput() async -> String {
        let handle = output.fileHandleForReading
        return (try? await onThread { String(decoding: handle.readDataToEndOfFile(), as: UTF8.self) }) ?? ""
    }

    /// Waits for a normal exit, up to `timeout` seconds; the exit status.
    func waitForExit(timeout: Double) async throws -> Int32 {
        let deadline = now() + timeout
        while process.isRunning {
            if now() > deadline {
                stop()
                throw BenchError("\(name) did not finish within \(Int(timeout)) s; log: \(ChildProcess.tail(logPath))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    /// SIGKILL and reap. Servers hold no state worth a graceful stop.
    func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    func stats() throws -> ProcStats {
        try ProcStats.read(pid: pid)
    }

    /// The last lines of a log file, for error messages.
    static func tail(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let lines = text.split(separator: "\n").suffix(8)
        return lines.isEmpty ? "(empty: \(path))" : lines.joined(separator: "\n")
    }
}

/// Runs blocking work (pipe reads, plain sockets) on a thread of its own, off the small
/// cooperative pool that the async scenarios need.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
