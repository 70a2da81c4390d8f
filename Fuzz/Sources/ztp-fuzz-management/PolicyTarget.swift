import Foundation
import FuzzSupport
import ZTPServer

/// The policy file parser. Input: the file's bytes.
///
/// Invariants: a file either loads or gives a `PolicyError` that starts with the file's name or
/// the role at fault; a loaded policy has at least one role, every role name is 1 to 64 bytes,
/// every stream id is 1 to 2^31-1, and the policy survives being written out and read back.
let policyTarget = FuzzTarget(name: "policy", seeds: {
    [
        #"{"roles": {"ops": {"streams": [2], "commands": ["ping", "status"]}}}"#,
        #"{"roles": {"admin": {"streams": [1, 2], "commands": ["sessions"]}, "user": {"streams": [1], "commands": []}}}"#,
        #"{"roles": {}}"#, #"{"roles": {"": {"streams": [1], "commands": []}}}"#,
        #"{"roles": {"x": {"streams": [0], "commands": []}}}"#, #"{"roles": {"x": {"streams": [2147483648], "commands": []}}}"#,
        #"{"roles": {"x": {"streams": [1, 1], "commands": ["a", "a"]}}}"#, #"{"roles": {"x": {"streams": [-1], "commands": []}}}"#,
        #"{"roles": {"x": {"streams": [1.5], "commands": [null]}}}"#, "[]", "",
    ].map { Array($0.utf8) }
}, run: { data in
    let source = "policy file fuzz.json"
    do {
        let policy = try Policy.parse(Data(data), source: source)
        invariant(!policy.roles.isEmpty, "a policy without roles loaded")
        for (name, role) in policy.roles {
            invariant(!name.isEmpty && name.utf8.count <= 64, "role name of \(name.utf8.count) bytes")
            invariant(role.streams.allSatisfy { (1...0x7FFF_FFFF).contains($0) }, "role \(name) has stream ids out of range")
        }
        let encoded = try JSONEncoder().encode(policy)
        let reread = try Policy.parse(encoded, source: source)
        invariant(reread == policy, "the policy does not survive a round trip")
    } catch let error as PolicyError {
        // Bytes, not Characters: a role name that starts with a combining mark joins the space
        // before it into one Character, and `hasPrefix("role ")` is then false.
        let message = error.message.utf8
        invariant(message.starts(with: source.utf8) || message.starts(with: "role ".utf8), "policy error: \(error.message)")
    } catch {
        invariant(false, "policy parse threw \(error)")
    }
})
