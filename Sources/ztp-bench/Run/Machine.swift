import Foundation

/// Where and when the figures were taken.
struct Machine {
    var cpuModel: String
    var cores: Int
    var memoryGiB: Double
    var kernel: String
    var date: String
    var openSSL: String
    var python: String
    var command: String

    static func current(command: String) -> Machine {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let totalKiB = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { Double($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: &name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let formatter = ISO8601DateFormatter()
        return Machine(cpuModel: model, cores: ProcessInfo.processInfo.activeProcessorCount,
                       memoryGiB: (totalKiB / 1_048_576 * 10).rounded() / 10, kernel: release,
                       date: formatter.string(from: Date()), openSSL: Machine.firstLine(of: ["openssl", "version"]),
                       python: Machine.firstLine(of: ["python3", "-c", "import ssl, sys; print(sys.version.split()[0], ssl.OPENSSL_VERSION)"]),
                       command: command)
    }

    var dictionary: [String: Any] {
        ["cpu_model": cpuModel, "cores": cores, "memory_gib": memoryGiB, "kernel": kernel, "date": date,
         "openssl": openSSL, "python": python, "command": command]
    }

    var summary: String {
        "\(cpuModel), \(cores) cores, \(memoryGiB) GiB, Linux \(kernel), \(date); \(openSSL); Python \(python)"
    }

    /// The first line a tool prints, or "unavailable".
    static func firstLine(of command: [String]) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return "unavailable" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "unavailable"
    }
}
