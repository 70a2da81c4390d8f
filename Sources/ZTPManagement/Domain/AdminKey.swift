import Foundation
import Logging
import ZTPCore
import ZTPServer

/// The management API's bearer key: env `ZTP_ADMIN_KEY`, else `DATA_DIR/admin.key`, created
/// on first run (mode 0600).
///
/// A new key is printed to stdout only when stdout is a terminal, where the operator reads it;
/// under a supervisor or in a container stdout is a log, so then the log names the file that
/// holds the key and the key itself goes nowhere but that file.
public struct AdminKey: Sendable {
    private let key: SecretBytes

    public init(_ text: String) {
        key = SecretBytes(Array(text.utf8))
    }

    public static func load(directory: DataDirectory, logger: Logger,
                            environment: [String: String] = ProcessInfo.processInfo.environment,
                            stdoutIsTerminal: Bool = isatty(STDOUT_FILENO) == 1) throws -> AdminKey {
        if let fromEnvironment = environment["ZTP_ADMIN_KEY"], !fromEnvironment.isEmpty {
            return AdminKey(fromEnvironment)
        }
        let name = DataDirectory.adminKeyFile
        let text = SecureRandom.bytes(32).lowercaseHex
        guard try directory.createUnlessPresent(name, contents: text + "\n") else {
            return AdminKey(try directory.readSecret(name))
        }
        let path = directory.file(name)
        if stdoutIsTerminal {
            print("admin key (also in \(path)): \(text)")
            fflush(nil)
            logger.notice("created the admin key (printed above)", metadata: ["file": "\(path)"])
        } else {
            logger.notice("created the admin key; stdout is not a terminal, so it is not printed: read it from the file",
                          metadata: ["file": "\(path)"])
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
