import Foundation
import ZTPCore

/// Finds the server key to pin: `--server-key`, else `DATA_DIR/server.pub`, else the
/// known-servers file; with explicit trust on first use, a new server's key is recorded there.
struct ServerKeyResolver {
    var explicitKey: String?
    var dataDirectory: String
    var knownServersFile: String
    var trustOnFirstUse: Bool

    enum Resolution {
        case pinned([UInt8])
        /// Unknown server, TOFU allowed: accept what it presents and remember it under `name`.
        case firstUse(name: String)
    }

    func resolve(host: String, port: Int) throws -> Resolution {
        if let explicitKey {
            guard let key = [UInt8](hex: explicitKey), key.count == 32 else {
                throw ClientCLIError("--server-key must be 64 hex digits")
            }
            return .pinned(key)
        }
        let serverPub = (dataDirectory as NSString).appendingPathComponent("server.pub")
        if let text = try? String(contentsOfFile: serverPub, encoding: .utf8),
           let key = [UInt8](hex: text.trimmingCharacters(in: .whitespacesAndNewlines)), key.count == 32 {
            return .pinned(key)
        }
        let name = "\(host):\(port)"
        if let key = knownKey(for: name) { return .pinned(key) }
        guard trustOnFirstUse else {
            throw ClientCLIError("no trusted key for \(name): pass --server-key HEX, put server.pub in \(dataDirectory), or allow --trust-on-first-use")
        }
        return .firstUse(name: name)
    }

    /// Lines of `HOST:PORT HEX`.
    func knownKey(for name: String) -> [UInt8]? {
        guard let text = try? String(contentsOfFile: knownServersFile, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == name, let key = [UInt8](hex: String(fields[1])), key.count == 32 { return key }
        }
        return nil
    }

    func remember(_ key: [UInt8], for name: String) throws {
        let directory = (knownServersFile as NSString).deletingLastPathComponent
        if !directory.isEmpty { try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let existing = (try? String(contentsOfFile: knownServersFile, encoding: .utf8)) ?? ""
        try (existing + "\(name) \(key.lowercaseHex)\n").write(toFile: knownServersFile, atomically: true, encoding: .utf8)
    }
}

struct ClientCLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
