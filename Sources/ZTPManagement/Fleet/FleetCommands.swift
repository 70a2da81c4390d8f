import Foundation
import Logging
import Metrics
import ServiceLifecycle
import ZTPCore
import ZTPServer
import ZTPStore

/// Administrative actions on sessions held by another node (terminate a session, close one of
/// its streams), carried by the database: the asking node NOTIFYs `ztp_command` with the target
/// node's id, every node hears it, the target acts on its own registry and NOTIFYs
/// `ztp_command_result`, which the asking node waits for (`send`) at most `timeout`.
///
/// Notices arrive on the store's event loop, where nothing may wait on the store: they are
/// handled on a queue of their own. Requests waiting for an answer are bounded (`maxPending`).
public final class FleetCommands: Service, @unchecked Sendable {
    public enum Action: String, Codable, Sendable {
        case terminateSession = "terminate_session"
        case closeStream = "close_stream"
    }

    public enum Outcome: String, Codable, Sendable {
        case done
        /// The target has no such session (or stream).
        case notFound = "not_found"
        /// No answer in time: the target may be gone, or cut off from the database.
        case noAnswer = "no_answer"
    }

    struct Command: Codable {
        var id: String
        var origin: String
        var node: String
        var action: Action
        var session: String
        var stream: UInt32?
    }

    struct Result: Codable {
        var id: String
        var origin: String
        var outcome: Outcome
    }

    public struct Busy: Error {}

    static let timeout: TimeInterval = 3
    static let maxPending = 64

    private let store: Store
    private let services: ServerServices
    private let nodeID: String
    private let logger: Logger
    private let queue = DispatchQueue(label: "ztp.fleet.commands")
    /// Guards `pending`.
    private let lock = NSLock()
    private var pending: [String: CheckedContinuation<Outcome?, Never>] = [:]
    private let received = Counter(label: "ztp_fleet_commands_received_total")

    public init(store: Store, services: ServerServices, nodeID: String, logger: Logger) {
        self.store = store
        self.services = services
        self.nodeID = nodeID
        self.logger = logger
    }

    public func run() async throws {
        let watch = store.watch([.commands, .commandResults]) { [weak self] notice in
            guard let self, case .message(let channel, let payload) = notice else { return }
            self.queue.async { self.handle(channel, payload) }
        }
        defer { watch?.stop() }
        try? await gracefulShutdown()
    }

    /// Asks `node` to act on one of its sessions and waits for its answer (at most `timeout`).
    /// Throws `Busy` when `maxPending` requests wait already.
    public func send(_ action: Action, session: String, stream: UInt32? = nil, to node: String) async throws -> Outcome {
        let command = Command(id: SecureRandom.bytes(12).lowercaseHex, origin: nodeID, node: node, action: action,
                              session: session, stream: stream)
        let payload = String(decoding: try JSONEncoder().encode(command), as: UTF8.self)
        let outcome: Outcome? = await withCheckedContinuation { (continuation: CheckedContinuation<Outcome?, Never>) in
            let admitted = lock.withLock { () -> Bool in
                guard pending.count < Self.maxPending else { return false }
                pending[command.id] = continuation
                return true
            }
            guard admitted else { return continuation.resume(returning: nil) }
            queue.asyncAfter(deadline: .now() + Self.timeout) { self.finish(command.id, .noAnswer) }
            queue.async {
                do {
                    try self.store.notify(.commands, payload: payload)
                } catch {
                    self.logger.warning("fleet command not sent", metadata: ["error": "\(error)"])
                    self.finish(command.id, .noAnswer)
                }
            }
        }
        guard let outcome else { throw Busy() }
        return outcome
    }

    private func finish(_ id: String, _ outcome: Outcome) {
        lock.withLock { pending.removeValue(forKey: id) }?.resume(returning: outcome)
    }

    private func handle(_ channel: StoreChannel, _ payload: String) {
        let data = Data(payload.utf8)
        switch channel {
        case .commands:
            guard let command = try? JSONDecoder().decode(Command.self, from: data), command.node == nodeID else { return }
            received.increment()
            let outcome = perform(command)
            let result = Result(id: command.id, origin: command.origin, outcome: outcome)
            do {
                try store.notify(.commandResults, payload: String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
            } catch {
                logger.warning("fleet command result not sent", metadata: ["error": "\(error)"])
            }
        case .commandResults:
            guard let result = try? JSONDecoder().decode(Result.self, from: data), result.origin == nodeID else { return }
            finish(result.id, result.outcome)
        case .revocations:
            break
        }
    }

    /// Acts on this node's registry and waits for the close to be done (on the queue, never
    /// on an event loop).
    private func perform(_ command: Command) -> Outcome {
        guard let session = services.registry.session(id: command.session) else { return .notFound }
        let closed: Bool?
        switch command.action {
        case .terminateSession:
            closed = try? session.close(code: .terminated, reason: "terminated by administrator").wait()
        case .closeStream:
            guard let stream = command.stream else { return .notFound }
            closed = try? session.closeStream(stream, code: .terminated, reason: "closed by administrator").wait()
        }
        return closed == true ? .done : .notFound
    }
}
