import Foundation
import NIOCore
import ZTPCore

/// Stream 2, control (ZTP-1 section 8): one request, one reply, never empty.
///
/// The command word is matched case-insensitively; only `echo` takes text, so any other
/// command followed by text is unknown. A known command the role may not use is forbidden.
public struct ControlHandler: StreamHandler {
    public static let streamID: UInt32 = 2
    public let kind = "control"

    public init() {}

    /// In the order `help` lists them.
    public static let commands = ["ping", "time", "status", "echo", "whoami", "help", "sessions"]

    public func receive(_ message: ByteBuffer, on stream: StreamContext) {
        stream.reply(reply(to: message.readableBytesView, on: stream))
    }

    func reply(to message: some Collection<UInt8>, on stream: StreamContext) -> String {
        guard let text = String(validating: message, as: UTF8.self) else { return "error: invalid UTF-8" }
        let word: Substring
        let argument: Substring?
        if let space = text.firstIndex(of: " ") {
            word = text[..<space]
            argument = text[text.index(after: space)...]
        } else {
            word = text[...]
            argument = nil
        }
        let command = word.lowercased()
        guard ControlHandler.commands.contains(command), command == "echo" || argument == nil else {
            return "error: unknown command"
        }
        let services = stream.services
        guard services.policy.may(stream.role, run: command) else { return "error: forbidden" }
        switch command {
        case "ping":
            return "pong"
        case "time":
            return RFC3339.string(from: Date())
        case "status":
            return "ok sessions=\(services.registry.count) uptime=\(Int(Date().timeIntervalSince(services.startedAt)))s"
        case "echo":
            guard let argument, !argument.isEmpty else { return "error: usage: echo TEXT" }
            return String(argument)
        case "whoami":
            return "\(stream.clientID) \(stream.role)"
        case "help":
            let allowed = ControlHandler.commands.filter { services.policy.may(stream.role, run: $0) }
            return "commands: " + allowed.joined(separator: " ")
        case "sessions":
            return sessionsListing(services.registry)
        default:
            preconditionFailure("every listed command has a case")
        }
    }

    /// One line per live session, `SESSION_ID CLIENT_ID ROLE`, as many as fit in max_frame.
    private func sessionsListing(_ registry: SessionRegistry) -> String {
        var out = ""
        var size = 0
        for handle in registry.allSessions().sorted(by: { $0.connectedAt < $1.connectedAt }) {
            let line = "\(handle.id) \(handle.clientID) \(handle.role)"
            let added = line.utf8.count + (out.isEmpty ? 0 : 1)
            if size + added > FrameType.maxDataPayload { break }
            out += out.isEmpty ? line : "\n" + line
            size += added
        }
        return out.isEmpty ? "no sessions" : out
    }
}

/// RFC 3339 timestamps in UTC with whole seconds, e.g. `2026-11-26T23:05:05Z`.
public enum RFC3339 {
    public static func string(from date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon).timeZone(separator: .omitted))
    }
}
