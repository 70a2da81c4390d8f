import Foundation
import ZTPServer
import ZTPStore

/// JSON bodies of the management API, snake_case as `openapi.yaml` names them.

struct SessionJSON: Encodable {
    var id, clientID, role, tokenJTI, remoteAddress: String
    var connectedAt, lastActivityAt: Date
    var bytesIn, bytesOut, framesIn, framesOut: UInt64
    var streamsOpen, keyEpoch: Int
    var streams: [StreamJSON]?

    enum CodingKeys: String, CodingKey {
        case id, role, streams
        case clientID = "client_id", tokenJTI = "token_jti", remoteAddress = "remote_address"
        case connectedAt = "connected_at", lastActivityAt = "last_activity_at"
        case bytesIn = "bytes_in", bytesOut = "bytes_out", framesIn = "frames_in", framesOut = "frames_out"
        case streamsOpen = "streams_open", keyEpoch = "key_epoch"
    }

    init(_ snapshot: SessionSnapshot, withStreams: Bool) {
        id = snapshot.id
        clientID = snapshot.clientID
        role = snapshot.role
        tokenJTI = snapshot.tokenID
        remoteAddress = snapshot.remoteAddress
        connectedAt = snapshot.connectedAt
        lastActivityAt = snapshot.lastActivityAt
        bytesIn = snapshot.statistics.bytesIn
        bytesOut = snapshot.statistics.bytesOut
        framesIn = snapshot.statistics.framesIn
        framesOut = snapshot.statistics.framesOut
        streamsOpen = snapshot.streams.count
        keyEpoch = snapshot.keyEpoch
        streams = withStreams ? snapshot.streams.map(StreamJSON.init) : nil
    }
}

struct StreamJSON: Encodable {
    var id: UInt32
    var kind: String
    var openedAt, lastActivityAt: Date
    var bytesIn, bytesOut, framesIn, framesOut: UInt64
    var sendWindow, receiveWindow: Int

    enum CodingKeys: String, CodingKey {
        case id, kind
        case openedAt = "opened_at", lastActivityAt = "last_activity_at"
        case bytesIn = "bytes_in", bytesOut = "bytes_out", framesIn = "frames_in", framesOut = "frames_out"
        case sendWindow = "send_window", receiveWindow = "receive_window"
    }

    init(_ stream: StreamSnapshot) {
        id = stream.id
        kind = stream.kind
        openedAt = stream.openedAt
        lastActivityAt = stream.lastActivityAt
        bytesIn = stream.bytesIn
        bytesOut = stream.bytesOut
        framesIn = stream.framesIn
        framesOut = stream.framesOut
        sendWindow = stream.sendWindow
        receiveWindow = stream.receiveWindow
    }
}

struct SessionPageJSON: Encodable {
    var total, offset, limit: Int
    var sessions: [SessionJSON]
}

struct TokenRequestJSON: Decodable {
    var clientID: String
    var role: String
    var ttlSeconds: Int?

    enum CodingKeys: String, CodingKey {
        case role
        case clientID = "client_id", ttlSeconds = "ttl_seconds"
    }
}

struct TokenJSON: Encodable {
    var token: String?
    var jti, clientID, role: String
    var issuedAt, expiresAt: Date
    var state: String?
    var revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case token, jti, role, state
        case clientID = "client_id", issuedAt = "issued_at", expiresAt = "expires_at", revokedAt = "revoked_at"
    }

    init(_ record: TokenRecord, token: String? = nil, now: Date? = nil) {
        self.token = token
        jti = record.jti
        clientID = record.clientID
        role = record.role
        issuedAt = record.issuedAt
        expiresAt = record.expiresAt
        state = now.map { record.state(at: $0).rawValue }
        revokedAt = record.revokedAt
    }
}

struct TokenPageJSON: Encodable {
    var total, offset, limit: Int
    var tokens: [TokenJSON]
}

struct AuditEventJSON: Encodable {
    var id: Int64
    var time: Date
    var actor, action, detail: String
    var count: Int

    init(_ event: AuditEvent) {
        id = event.id
        time = event.time
        actor = event.actor
        action = event.action
        detail = event.detail
        count = event.count
    }
}

struct AuditPageJSON: Encodable {
    var total, offset, limit: Int
    var events: [AuditEventJSON]
}

struct RoleJSON: Encodable {
    var name: String
    var streams: [UInt32]
    var commands: [String]
}

struct RolesJSON: Encodable {
    var roles: [RoleJSON]
}

struct ServerInfoJSON: Encodable {
    struct Limits: Encodable {
        var maxStreams, streamWindow, streamIdleTimeout, heartbeatInterval, maxFrame, maxSessions: Int
        var handshakeTimeout: Double

        enum CodingKeys: String, CodingKey {
            case maxStreams = "max_streams", streamWindow = "stream_window", streamIdleTimeout = "stream_idle_timeout"
            case heartbeatInterval = "heartbeat_interval", maxFrame = "max_frame", maxSessions = "max_sessions"
            case handshakeTimeout = "handshake_timeout"
        }
    }

    var version, proto: String
    var startedAt: Date
    var uptimeSeconds: Int
    var ztpListen, httpListen: String
    var serverPublicKey, fingerprint: String
    var sessions: Int
    var limits: Limits

    enum CodingKeys: String, CodingKey {
        case version, sessions, limits, fingerprint
        case proto = "protocol", startedAt = "started_at", uptimeSeconds = "uptime_seconds"
        case ztpListen = "ztp_listen", httpListen = "http_listen", serverPublicKey = "server_public_key"
    }
}

struct StatusJSON: Encodable {
    var status: String
}
