import Foundation
import ZTPCore
import ZTPServer
import ZTPStore

/// This server's place in its fleet, as the API needs it: its own node, what it knows of the
/// others (`view`) and the way to ask them to act (`commands`). With SQLite a fleet of one:
/// no view, no commands.
public struct Fleet: Sendable {
    public let node: NodeRecord
    public let view: FleetView?
    public let commands: FleetCommands?

    public init(node: NodeRecord, view: FleetView?, commands: FleetCommands?) {
        self.node = node
        self.view = view
        self.commands = commands
    }

    /// A server alone on its store.
    public static func single(_ node: NodeRecord = Fleet.node(id: Fleet.defaultNodeID(ztpPort: 0), ztpAddress: "",
                                                              apiAddress: "")) -> Fleet {
        Fleet(node: node, view: nil, commands: nil)
    }

    /// This server's record, started now.
    public static func node(id: String, ztpAddress: String, apiAddress: String) -> NodeRecord {
        NodeRecord(id: id, ztpAddress: ztpAddress, apiAddress: apiAddress, version: ZTPVersion.current, startedAt: Date())
    }

    /// The host's name and the ZTP port: unique among the nodes of one host, and readable. With
    /// port 0 (any free port, chosen later) a random suffix stands in for it.
    public static func defaultNodeID(ztpPort: Int) -> String {
        var name = [CChar](repeating: 0, count: 256)
        let host = gethostname(&name, name.count) == 0 ? String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        return "\(host.isEmpty ? "ztp" : host)-\(ztpPort == 0 ? SecureRandom.bytes(3).lowercaseHex : String(ztpPort))"
    }
}
