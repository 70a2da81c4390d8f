import Foundation

/// Which role may use which stream and which control command (ZTP-1 section 8).
///
/// Default: `admin` and `user` may use streams 1 and 2, `observer` only stream 2; `sessions`
/// is for `admin` alone. A deployment replaces it with a JSON file:
/// `{"roles": {"ops": {"streams": [2], "commands": ["ping", "status"]}}}`.
public struct Policy: Sendable, Equatable, Codable {
    /// What one role may do.
    public struct Role: Sendable, Equatable, Codable {
        public var streams: Set<UInt32>
        public var commands: Set<String>

        public init(streams: Set<UInt32>, commands: Set<String>) {
            self.streams = streams
            self.commands = commands
        }
    }

    public var roles: [String: Role]

    public init(roles: [String: Role]) {
        self.roles = roles
    }

    public static let userCommands: Set<String> = ["ping", "time", "status", "echo", "whoami", "help"]

    public static let `default` = Policy(roles: [
        "admin": Role(streams: [1, 2], commands: userCommands.union(["sessions"])),
        "user": Role(streams: [1, 2], commands: userCommands),
        "observer": Role(streams: [2], commands: userCommands),
    ])

    public func isKnown(role: String) -> Bool { roles[role] != nil }

    public func may(_ role: String, use stream: UInt32) -> Bool {
        roles[role]?.streams.contains(stream) ?? false
    }

    public func may(_ role: String, run command: String) -> Bool {
        roles[role]?.commands.contains(command) ?? false
    }

    /// Reads a policy file; the error says what is wrong with it.
    public static func load(from path: String) throws -> Policy {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PolicyError(message: "cannot read policy file \(path)")
        }
        return try parse(data, source: "policy file \(path)")
    }

    /// Decodes and checks a policy; errors start with `source` (e.g. "policy file /etc/p.json").
    public static func parse(_ data: Data, source: String) throws -> Policy {
        let policy: Policy
        do {
            policy = try JSONDecoder().decode(Policy.self, from: data)
        } catch {
            throw PolicyError(message: "\(source) is not valid: \(error)")
        }
        guard !policy.roles.isEmpty else { throw PolicyError(message: "\(source) defines no roles") }
        for (name, role) in policy.roles {
            if name.isEmpty || name.utf8.count > 64 { throw PolicyError(message: "role name '\(name)' must be 1 to 64 bytes") }
            if role.streams.contains(0) || role.streams.contains(where: { $0 > 0x7FFF_FFFF }) {
                throw PolicyError(message: "role \(name): stream ids are 1 to 2147483647")
            }
        }
        return policy
    }
}

public struct PolicyError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
