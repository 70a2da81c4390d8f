import Foundation
import OpenAPIMicroHTTPD
import ZTPCore
import ZTPNIO
import ZTPServer

/// The server's identity, limits and policy.
extension ManagementAPI {
    func getServer(_ input: Operations.GetServer.Input) async throws -> Operations.GetServer.Output {
        let configuration = services.configuration
        let key = services.identity.publicKey
        let parameters = configuration.parameters
        let info = Components.Schemas.ServerInfo(
            version: ZTPVersion.current, _protocol: .ztp1, startedAt: services.startedAt,
            uptimeSeconds: Int(Date().timeIntervalSince(services.startedAt)),
            ztpListen: listener.localAddress?.hostPort ?? "\(configuration.host):\(configuration.port)",
            httpListen: httpListen, serverPublicKey: key.lowercaseHex,
            fingerprint: "SHA256:" + Array(SHA256.hash(key).prefix(8)).lowercaseHex,
            sessions: services.registry.count,
            limits: .init(maxStreams: parameters.maxStreams, streamWindow: parameters.streamWindow,
                          streamIdleTimeout: parameters.streamIdleTimeout, heartbeatInterval: parameters.heartbeatInterval,
                          maxFrame: parameters.maxFrame, maxSessions: configuration.maxSessions,
                          handshakeTimeout: configuration.handshakeTimeout))
        return .ok(.init(body: .json(info)))
    }

    func listRoles(_ input: Operations.ListRoles.Input) async throws -> Operations.ListRoles.Output {
        let roles = services.policy.roles.sorted { $0.key < $1.key }.map { name, role in
            Components.Schemas.Roles.RolesPayloadPayload(
                name: name, streams: role.streams.sorted().map(Int.init),
                commands: ControlHandler.commands.filter { role.commands.contains($0) }.compactMap { .init(rawValue: $0) })
        }
        return .ok(.init(body: .json(.init(roles: roles))))
    }
}

/// The servers sharing this one's database.
extension ManagementAPI {
    func listNodes(_ input: Operations.ListNodes.Input) async throws -> Operations.ListNodes.Output {
        let nodes: [FleetView.Node]
        if let view = fleet.view {
            nodes = view.allNodes()
        } else {
            var record = fleet.node
            record.heartbeatAt = Date()
            record.sessionCount = services.registry.count
            nodes = [FleetView.Node(record: record, silence: 0, isSelf: true)]
        }
        return .ok(.init(body: .json(.init(nodes: nodes.map(Components.Schemas.Node.init)))))
    }
}
