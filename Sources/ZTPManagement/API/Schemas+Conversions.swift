import Foundation
import ZTPServer
import ZTPStore

/// The generated schema types, made from the server's and the store's own.

extension Components.Schemas.Session {
    init(_ snapshot: SessionSnapshot, node: String, withStreams: Bool) {
        self.init(
            id: snapshot.id, node: node, clientId: snapshot.clientID, role: snapshot.role, tokenJti: snapshot.tokenID,
            remoteAddress: snapshot.remoteAddress, connectedAt: snapshot.connectedAt,
            lastActivityAt: snapshot.lastActivityAt,
            bytesIn: Int(clamping: snapshot.statistics.bytesIn), bytesOut: Int(clamping: snapshot.statistics.bytesOut),
            framesIn: Int(clamping: snapshot.statistics.framesIn), framesOut: Int(clamping: snapshot.statistics.framesOut),
            streamsOpen: snapshot.streams.count, keyEpoch: snapshot.keyEpoch,
            streams: withStreams ? snapshot.streams.map(Components.Schemas.Stream.init) : nil)
    }
}

extension Components.Schemas.Stream {
    init(_ stream: StreamSnapshot) {
        self.init(
            id: Int(stream.id), kind: stream.kind, openedAt: stream.openedAt, lastActivityAt: stream.lastActivityAt,
            bytesIn: Int(clamping: stream.bytesIn), bytesOut: Int(clamping: stream.bytesOut),
            framesIn: Int(clamping: stream.framesIn), framesOut: Int(clamping: stream.framesOut),
            sendWindow: stream.sendWindow, receiveWindow: stream.receiveWindow)
    }
}

extension Components.Schemas.Token {
    init(_ record: TokenRecord, now: Date) {
        self.init(
            jti: record.jti, clientId: record.clientID, role: record.role, issuedAt: record.issuedAt,
            expiresAt: record.expiresAt, state: .init(rawValue: record.state(at: now).rawValue) ?? .active,
            revokedAt: record.revokedAt)
    }
}

extension Components.Schemas.AuditEvent {
    init(_ event: AuditEvent) {
        self.init(id: Int(event.id), time: event.time, actor: event.actor, action: event.action, detail: event.detail,
                  count: event.count)
    }
}

extension Components.Schemas.ServerEvent {
    init(_ event: ServerEvent) {
        self.init(
            id: Int(clamping: event.id), time: event.time, _type: .init(rawValue: event.type.rawValue) ?? .server_started,
            sessionId: event.sessionID, clientId: event.clientID, role: event.role, remoteAddress: event.remoteAddress,
            streamId: event.streamID.map(Int.init), streamKind: event.streamKind, code: event.code, reason: event.reason,
            jti: event.jti, count: event.count, detail: event.detail)
    }
}

extension Components.Schemas.StatsSample {
    init(_ sample: StatsSample) {
        self.init(
            time: sample.time, sessions: sample.sessions, streams: sample.streams, handshakesOk: sample.handshakesOK,
            handshakesFailed: .init(additionalProperties: sample.handshakesFailed), bytesIn: sample.bytesIn,
            bytesOut: sample.bytesOut, framesIn: sample.framesIn, framesOut: sample.framesOut,
            chatMessages: sample.chatMessages, httpRequests: sample.httpRequests)
    }
}

extension Components.Schemas.Node {
    init(_ node: FleetView.Node) {
        self.init(
            id: node.record.id, ztpAddress: node.record.ztpAddress, apiAddress: node.record.apiAddress,
            version: node.record.version, startedAt: node.record.startedAt, lastHeartbeatAt: node.record.heartbeatAt,
            secondsSinceHeartbeat: node.silence, state: node.isUp ? .up : .gone, sessions: node.record.sessionCount,
            _self: node.isSelf)
    }
}
