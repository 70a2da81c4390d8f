import Foundation
import NIOCore
import OpenAPIMicroHTTPD
import ZTPCore
import ZTPServer

/// Live sessions and their streams: this node's, and with a fleet the other nodes' as they
/// last published them; acting on another node's session goes to that node (`FleetCommands`).
extension ManagementAPI {
    /// A session and the node that holds it.
    struct HeldSession {
        var node: String
        var snapshot: SessionSnapshot
    }

    /// This node's sessions, then the other nodes' that are up.
    private func fleetSessions() -> [HeldSession] {
        let local = services.registry.allSessions().map { HeldSession(node: fleet.node.id, snapshot: $0.snapshot) }
        let remote = fleet.view?.remoteSessions().map { HeldSession(node: $0.node, snapshot: $0.snapshot) } ?? []
        return local + remote
    }

    func listSessions(_ input: Operations.ListSessions.Input) async throws -> Operations.ListSessions.Output {
        let (limit, offset) = try QueryCheck.page(limit: input.query.limit, offset: input.query.offset)
        let sort = input.query.sort ?? .connectedAt
        let descending = input.query.order == .desc
        let clientID = input.query.clientId
        let role = input.query.role
        let node = input.query.node
        // The spec's bounds (JSON Schema counts code points); the generated code does not check them.
        if let node, !(1...128).contains(node.unicodeScalars.count) {
            throw HTTPError.badRequest("query parameter 'node' must be 1 to 128 characters")
        }
        var sessions = fleetSessions().filter { held in
            (clientID == nil || held.snapshot.clientID == clientID) && (role == nil || held.snapshot.role == role)
                && (node == nil || held.node == node)
        }
        sessions.sort { x, y in
            let (a, b) = (x.snapshot, y.snapshot)
            let ordered = switch sort {
            case .lastActivity: (a.lastActivityAt, a.id) < (b.lastActivityAt, b.id)
            case .bytesIn: (a.statistics.bytesIn, a.id) < (b.statistics.bytesIn, b.id)
            case .bytesOut: (a.statistics.bytesOut, a.id) < (b.statistics.bytesOut, b.id)
            case .streams: (a.streams.count, a.id) < (b.streams.count, b.id)
            case .connectedAt: (a.connectedAt, a.id) < (b.connectedAt, b.id)
            }
            return descending ? !ordered : ordered
        }
        let page = sessions.dropFirst(offset).prefix(limit).map {
            Components.Schemas.Session($0.snapshot, node: $0.node, withStreams: false)
        }
        return .ok(.init(body: .json(.init(total: sessions.count, offset: offset, limit: limit, sessions: Array(page)))))
    }

    func getSession(_ input: Operations.GetSession.Input) async throws -> Operations.GetSession.Output {
        let held = try find(input.path.id)
        let detail = Components.Schemas.SessionDetail(
            value1: .init(held.snapshot, node: held.node, withStreams: true),
            value2: .init())
        return .ok(.init(body: .json(detail)))
    }

    func terminateSession(_ input: Operations.TerminateSession.Input) async throws -> Operations.TerminateSession.Output {
        let id = input.path.id
        if let handle = services.registry.session(id: id) {
            guard (try? await handle.close(code: .terminated, reason: "terminated by administrator").get()) == true else {
                throw HTTPError.notFound("no live session \(id)")
            }
            try audit.recordNow(actor: "admin-api", action: "session.terminated",
                                detail: "session=\(id) client=\(handle.clientID) from \(remoteAddress)")
            return .noContent(.init())
        }
        let held = try find(id)
        try await ask(held.node, .terminateSession, session: id, missing: "no live session \(id)")
        try audit.recordNow(actor: "admin-api", action: "session.terminated",
                            detail: "session=\(id) client=\(held.snapshot.clientID) node=\(held.node) from \(remoteAddress)")
        return .noContent(.init())
    }

    func closeStream(_ input: Operations.CloseStream.Input) async throws -> Operations.CloseStream.Output {
        let id = input.path.id
        let stream = input.path.streamId
        guard stream >= 1, stream <= Int(FrameType.maxStreamID) else {
            throw HTTPError.badRequest("stream_id must be an integer from 1 to 2147483647")
        }
        let missing = "stream \(stream) is not open in session \(id)"
        if let handle = services.registry.session(id: id) {
            let closed = try? await handle.closeStream(UInt32(stream), code: .terminated, reason: "closed by administrator").get()
            guard closed == true else { throw HTTPError.notFound(missing) }
            try audit.recordNow(actor: "admin-api", action: "stream.closed", detail: "session=\(id) stream=\(stream)")
            return .noContent(.init())
        }
        let held = try find(id)
        try await ask(held.node, .closeStream, session: id, stream: UInt32(stream), missing: missing)
        try audit.recordNow(actor: "admin-api", action: "stream.closed", detail: "session=\(id) stream=\(stream) node=\(held.node)")
        return .noContent(.init())
    }

    /// The session `id`, here or on another node that is up.
    private func find(_ id: String) throws(HTTPError) -> HeldSession {
        if let handle = services.registry.session(id: id) { return HeldSession(node: fleet.node.id, snapshot: handle.snapshot) }
        if let remote = fleet.view?.remoteSession(id: id) { return HeldSession(node: remote.node, snapshot: remote.snapshot) }
        throw .notFound("no live session \(id)")
    }

    /// Has `node` act on its session; throws the HTTP error its answer (or silence) means.
    private func ask(_ node: String, _ action: FleetCommands.Action, session: String, stream: UInt32? = nil,
                     missing: String) async throws {
        guard let commands = fleet.commands else { throw HTTPError.notFound(missing) }
        let outcome: FleetCommands.Outcome
        do {
            outcome = try await commands.send(action, session: session, stream: stream, to: node)
        } catch is FleetCommands.Busy {
            throw HTTPError(status: 503, detail: "too many requests to other nodes are waiting; try again shortly",
                            headers: ["Retry-After": "1"])
        }
        switch outcome {
        case .done: return
        case .notFound: throw HTTPError.notFound(missing)
        case .noAnswer:
            throw HTTPError(status: 504, detail: "node \(node) holds session \(session) but did not answer within "
                            + "\(Int(FleetCommands.timeout)) s")
        }
    }
}
