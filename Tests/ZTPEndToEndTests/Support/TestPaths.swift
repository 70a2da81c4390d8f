import Foundation
import ZTPTestSupport

/// Where the package and its built executables are, found from this file's path (the test
/// bundle has no resources, so there is no `Bundle.module`).
enum TestPaths {
    /// The directory holding `Package.swift`.
    static let packageRoot: URL = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    }()

    static func serverBinary() throws -> String { try binary("ztp-server") }
    static func clientBinary() throws -> String { try binary("ztp-client") }

    /// `.build/debug/NAME` (or its copy where an unprivileged child can run it), or a failure
    /// that says how to build it.
    static func binary(_ name: String) throws -> String {
        let path = packageRoot.appendingPathComponent(".build/debug/\(name)").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw E2EFailure("\(path) is missing: run `swift build` (or `swift build --build-tests`) before the end-to-end tests")
        }
        return try Unprivileged.executable(path)
    }

    /// `timeout(1)`, to bound a server's life should the test process die.
    static let timeoutBinary: String? = ["/usr/bin/timeout", "/bin/timeout"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// This process's environment without ZTP_* variables, so a developer's settings cannot
    /// change what a child process does.
    static func cleanEnvironment(adding extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ZTP_") }
        environment.merge(extra) { $1 }
        return environment
    }

    static func makeTemporaryDirectory(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try Unprivileged.handOver(url)
        return url
    }
}
