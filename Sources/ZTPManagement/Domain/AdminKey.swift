import Foundation
import Logging
import ZTPCore
import ZTPServer

/// The management API's bearer key: env `ZTP_ADMIN_KEY`, else `DATA_DIR/admin.key`, created
/// on first run (mode 0600) and printed once to stdout when stdout is a terminal, so the
/// operator can copy it.
public struct AdminKey: Sendable {
    private let key: SecretBytes

    public init(_ text: String) {
        key = SecretBytes(Array(text.utf8))
    }

    public static func load(directory: DataDirectory, logger: Logger,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AdminKey {
        if let fromEnvironment = environment["ZTP_ADMIN_KEY"], !fromEnvironment.isEmpty {
            return AdminKey(fromEnvironment)
        }
        let name = "admin.key"
        if directory.exists(name) {
            let text = try String(contentsOfFile: directory.file(name), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw DataDirectoryError("\(directory.file(name)) is empty") }
            return AdminKey(text)
        }
        let text = SecureRandom.bytes(32).lowercaseHex
        try directory.write(name, contents: text + "\n", replace: false)
        // Printed once, and only to a terminal: under a container engine or a supervisor stdout
        // is captured into the logs (`docker logs`), and log shipping must never carry the key.
        if isatty(STDOUT_FILENO) == 1 {
            print("admin key (also in \(directory.file(name))): \(text)")
            fflush(nil)
        } else {
            logger.notice("admin key created in \(directory.file(name)) (not printed: stdout is not a terminal)")
        }
        return AdminKey(text)
    }

    /// Checks an `Authorization` header value, in constant time for the key comparison.
    public func authorizes(_ header: String?) -> Bool {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let presented = Array(header.dropFirst(7).utf8)
        return ConstantTime.equal(presented, key)
    }
}
