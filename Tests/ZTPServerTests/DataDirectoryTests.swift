import Foundation
import Testing
import ZTPCore
@testable import ZTPServer

@Suite("Data directory")
struct DataDirectoryTests {
    /// A path in a fresh temporary folder (which is removed afterwards); nothing exists at it yet.
    static func withFreshPath<T>(_ body: (String) throws -> T) throws -> T {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("ZTPServerTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: parent) }
        return try body(parent.appendingPathComponent("data").path)
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? NSNumber).intValue & 0o777
    }

    @Test("created 0700, with every key file 0600, and the same keys on reopening")
    func createsOwnerOnly() throws {
        try Self.withFreshPath { path in
            let directory = try DataDirectory(path: path)
            let identity = try directory.loadOrCreateIdentity()
            let secret = try directory.loadOrCreateTokenSecret()
            #expect(try Self.mode(path) == 0o700)
            for name in [DataDirectory.identityFile, DataDirectory.tokenSecretFile, DataDirectory.publicKeyFile] {
                #expect(try Self.mode(directory.file(name)) == 0o600, "\(name)")
            }
            let again = try DataDirectory(path: path)
            #expect(try again.loadOrCreateIdentity().publicKey == identity.publicKey)
            #expect(try again.loadOrCreateTokenSecret().bytes == secret.bytes)
        }
    }

    @Test("servers starting together on one directory (a fleet's shared volume) all get the key created first")
    func concurrentFirstRunsAgree() throws {
        try Self.withFreshPath { path in
            _ = try DataDirectory(path: path)
            let results = LockedResults()
            DispatchQueue.concurrentPerform(iterations: 8) { _ in
                results.append(Result {
                    let directory = try DataDirectory(path: path)
                    return (try directory.loadOrCreateTokenSecret().bytes, try directory.loadOrCreateIdentity().publicKey)
                })
            }
            let outcomes = try results.all.map { try $0.get() }
            #expect(outcomes.count == 8)
            #expect(Set(outcomes.map(\.0)).count == 1, "token secrets differ")
            #expect(Set(outcomes.map(\.1)).count == 1, "identities differ")
            let directory = try DataDirectory(path: path)
            #expect(try directory.loadOrCreateTokenSecret().bytes == outcomes[0].0)
            #expect(try directory.createUnlessPresent(DataDirectory.tokenSecretFile, contents: "00\n") == false)
            #expect(try directory.loadOrCreateTokenSecret().bytes == outcomes[0].0, "an existing file was overwritten")
        }
    }

    @Test("an existing directory open to group or others is refused with the chmod that fixes it")
    func refusesLooseDirectory() throws {
        try Self.withFreshPath { path in
            for mode in [0o755, 0o750, 0o701, 0o770] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                #expect(chmod(path, mode_t(mode)) == 0)
                let error = #expect(throws: DataDirectoryError.self) { try DataDirectory(path: path) }
                let message = error?.description ?? ""
                #expect(message.contains("chmod 700 \(path)"), "\(message)")
                #expect(message.contains("0" + String(mode, radix: 8)), "\(message)")
                try FileManager.default.removeItem(atPath: path)
            }
        }
    }

    @Test("a secret file open to group or others is refused, at open and at read, with chmod 600")
    func refusesLooseSecret() throws {
        try Self.withFreshPath { path in
            let directory = try DataDirectory(path: path)
            _ = try directory.loadOrCreateTokenSecret()
            let file = directory.file(DataDirectory.tokenSecretFile)
            #expect(chmod(file, 0o640) == 0)
            let atOpen = #expect(throws: DataDirectoryError.self) { try DataDirectory(path: path) }
            #expect(atOpen?.description.contains("chmod 600 \(file)") == true, "\(atOpen?.description ?? "")")
            let atRead = #expect(throws: DataDirectoryError.self) { try directory.loadOrCreateTokenSecret() }
            #expect(atRead?.description.contains("chmod 600 \(file)") == true, "\(atRead?.description ?? "")")
            #expect(chmod(file, 0o600) == 0)
            _ = try DataDirectory(path: path).loadOrCreateTokenSecret()
        }
    }

    @Test("a path with a space is quoted in the chmod advice")
    func quotesPath() throws {
        try Self.withFreshPath { path in
            let spaced = path + " dir"
            try FileManager.default.createDirectory(atPath: spaced, withIntermediateDirectories: true)
            #expect(chmod(spaced, 0o755) == 0)
            let error = #expect(throws: DataDirectoryError.self) { try DataDirectory(path: spaced) }
            #expect(error?.description.contains("chmod 700 '\(spaced)'") == true, "\(error?.description ?? "")")
            try? FileManager.default.removeItem(atPath: spaced)
        }
    }

    @Test("write replaces or refuses as asked, leaves mode 0600 and no temporary file behind")
    func atomicWrite() throws {
        try Self.withFreshPath { path in
            let directory = try DataDirectory(path: path)
            try directory.write("a", contents: "one\n", replace: false)
            let error = #expect(throws: DataDirectoryError.self) {
                try directory.write("a", contents: "two\n", replace: false)
            }
            #expect(error?.description.contains("already exists") == true)
            #expect(try String(contentsOfFile: directory.file("a"), encoding: .utf8) == "one\n", "not overwritten")
            try directory.write("a", contents: "three\n", replace: true)
            #expect(try String(contentsOfFile: directory.file("a"), encoding: .utf8) == "three\n")
            #expect(try Self.mode(directory.file("a")) == 0o600)
            #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["a"])
        }
    }

    @Test("readSecret trims, and refuses an empty file")
    func readSecret() throws {
        try Self.withFreshPath { path in
            let directory = try DataDirectory(path: path)
            try directory.write("k", contents: "  abc\n", replace: false)
            #expect(try directory.readSecret("k") == "abc")
            try directory.write("empty", contents: "\n", replace: false)
            let error = #expect(throws: DataDirectoryError.self) { try directory.readSecret("empty") }
            #expect(error?.description.contains("is empty") == true)
        }
    }
}

/// Results gathered from concurrent threads.
private final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<([UInt8], [UInt8]), any Error>] = []
    func append(_ result: Result<([UInt8], [UInt8]), any Error>) { lock.withLock { results.append(result) } }
    var all: [Result<([UInt8], [UInt8]), any Error>] { lock.withLock { results } }
}
