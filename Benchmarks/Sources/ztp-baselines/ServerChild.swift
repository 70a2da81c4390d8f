import Foundation

/// The baseline server (`ztp-baselines serve`) in a child process of its own.
struct ServerChild {
    let process: Process
    let port: Int

    /// Starts `ztp-baselines serve` (this executable) and waits for its `ready PORT`.
    static func start(_ certificate: CertificateOptions) throws -> ServerChild {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ChaChaOnly.ownExecutable())
        process.arguments = ["serve", "--cert", certificate.cert, "--key", certificate.key, "--exit-with-stdin"]
        let output = Pipe()
        process.standardOutput = output
        // Its end of this pipe closes when this process goes, however it goes; the server then exits.
        process.standardInput = Pipe()
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let more = output.fileHandleForReading.availableData
            guard !more.isEmpty else { throw BaselineError("the server exited before it was ready") }
            line.append(more)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("ready "), let port = Int(text.dropFirst(6).prefix { $0.isNumber }) else {
            process.terminate()
            throw BaselineError("the server printed \(text)")
        }
        return ServerChild(process: process, port: port)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
