import Foundation
import NIOCore
import OpenAPIMicroHTTPD
import ZTPCore
import ZTPServer

/// Live sessions and their streams.
extension ManagementAPI {
    func listSessions(_ input: Operations.ListSessions.Input) async throws -> Operations.ListSessions.Output {
        let (limit, offset) = try QueryCheck.page(limit: input.query.limit, offset: input.query.offset)
        let sort = input.query.sort ?? .connectedAt
        let descending = input.query.order == .desc
        let clientID = input.query.clientId
        let role = input.query.role
        var snapshots = services.registry.allSessions().map(\.snapshot).filter { snapshot in
            (clientID == nil || snapshot.clientID == clientID) && (role == nil || snapshot.role == role)
        }
        snapshots.sort { a, b in
            let ordered = switch sort {
            case .lastActivity: (a.lastActivityAt, a.id) < (b.lastActivityAt, b.id)
            case .bytesIn: (a.statistics.bytesIn, a.id) < (b.statistics.bytesIn, b.id)
            case .bytesOut: (a.statistics.bytesOut, a.id) < (b.statistics.bytesOut, b.id)
            case .streams: (a.streams.count, a.id) < (b.streams.count, b.id)
            case .connectedAt: (a.connectedAt, a.id) < (b.connectedAt, b.id)
            }
            return descending ? !ordered : ordered
        }
        let page = snapshots.dropFirst(offset).prefix(limit).map { Components.Schemas.Session($0, withStreams: false) }
        return .ok(.init(body: .json(.init(total: snapshots.count, offset: offset, limit: limit, sessions: Array(page)))))
    }

    func getSession(_ input: Operations.GetSession.Input) async throws -> Operations.GetSession.Output {
        let snapshot = try session(input.path.id).snapshot
        let detail = Components.Schemas.SessionDetail(
            value1: .init(snapshot, withStreams: true),
            value2: .init())
        return .ok(.init(body: .json(detail)))
    }

    func terminateSession(_ input: Operations.TerminateSession.Input) async throws -> Operations.TerminateSession.Output {
        let handle = try session(input.path.id)
        guard (try? await handle.close(code: .terminated, reason: "terminated by administrator").get()) == true else {
            throw HTTPError.notFound("no live session \(handle.id)")
        }
        try audit.recordNow(actor: "admin-api", action: "session.terminated",
                            detail: "session=\(handle.id) client=\(handle.clientID) from \(remoteAddress)")
        return .noContent(.init())
    }

    func closeStream(_ input: Operations.CloseStream.Input) async throws -> Operations.CloseStream.Output {
        let handle = try session(input.path.id)
        let stream = input.path.streamId
        guard stream >= 1, stream <= Int(FrameType.maxStreamID) else {
            throw HTTPError.badRequest("stream_id must be an integer from 1 to 2147483647")
        }
        let closed = try? await handle.closeStream(UInt32(stream), code: .terminated, reason: "closed by administrator").get()
        guard closed == true else {
            throw HTTPError.notFound("stream \(stream) is not open in session \(handle.id)")
        }
        try audit.recordNow(actor: "admin-api", action: "stream.closed", detail: "session=\(handle.id) stream=\(stream)")
        return .noContent(.init())
    }

    private func session(_ id: String) throws(HTTPError) -> SessionHandle {
        guard let handle = services.registry.session(id: id) else { throw .notFound("no live session \(id)") }
        return handle
    }
}
