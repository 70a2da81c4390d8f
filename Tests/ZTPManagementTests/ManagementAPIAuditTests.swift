import Foundation
import Testing
import ZTPClient
import ZTPCore
import ZTPTestSupport

extension ManagementAPITests {
    /// The audit log against the real server: failed authentications aggregated, not lost at
    /// shutdown, and the row cap's flag checked at start.
    @Suite("Management API: audit bounds")
    struct AuditBounds {
        @Test("failures still gathering when the server is stopped are written before it exits")
        func flushedAtShutdown() async throws {
            let first = try await ManagementAPIServer()
            let directory = first.dataDirectory
            defer { try? FileManager.default.removeItem(atPath: directory) }
            for _ in 0..<5 {
                let error = try await first.refusal(token: "not-a-token")
                #expect(error.code == .closedByServer(.authFailed))
            }
            // At once: the failures are gathered for about a second before they are written.
            #expect(await first.stop(removeDirectory: false) == 0)

            let second = try await ManagementAPIServer(dataDirectory: directory)
            defer { second.stopInBackground(removeDirectory: false) }
            let events = try await second.getJSON("/v1/audit")["events"].array
            let failures = events.filter { $0["action"].string == "auth.failed" }
            #expect(failures.compactMap { $0["count"].int }.reduce(0, +) == 5, "\(failures.map(\.description))")
            #expect((1...2).contains(failures.count), "one row per address and minute")
        }

        @Test("--audit-max-rows below 1 is refused at start with a message")
        func rowCapValidated() async throws {
            let directory = NSTemporaryDirectory() + "ztp-api-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (launcher, launcherArguments) = Unprivileged.command(
                try Unprivileged.executable(ManagementAPIServer.executable.path), [])
            let process = Process()
            process.executableURL = URL(fileURLWithPath: launcher)
            process.arguments = launcherArguments + ["--audit-max-rows", "0", "--data-dir", directory,
                                                     "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus != 0)
            #expect(text.contains("--audit-max-rows must be at least 1"), "\(text)")
            #expect(!FileManager.default.fileExists(atPath: directory), "refused before anything is written")
        }
    }
}
