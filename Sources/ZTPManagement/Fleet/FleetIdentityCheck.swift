import ZTPCore
import ZTPStore

/// Nodes of one fleet must hold the same server key (clients pin it) and token secret (tokens
/// from any node work on all). The first node to start on a database records both, the secret
/// as a fingerprint only; a node that holds others refuses to join, saying which.
public enum FleetIdentityCheck {
    public struct Mismatch: Error, CustomStringConvertible {
        public let description: String
    }

    /// HMAC of a fixed text under the secret: equal secrets give equal fingerprints, and the
    /// fingerprint tells nothing about the secret.
    public static func identity(publicKey: [UInt8], tokenSecret: SecretBytes) -> FleetIdentity {
        let fingerprint = HMACSHA256.authenticate(Array("ZTP fleet token secret fingerprint".utf8), key: tokenSecret)
        return FleetIdentity(serverPublicKey: publicKey.lowercaseHex, secretFingerprint: fingerprint.lowercaseHex)
    }

    /// Records `identity` as the fleet's if it is the first, else compares; throws `Mismatch`.
    public static func join(_ store: Store, as identity: FleetIdentity) throws {
        let fleet = try store.claimFleetIdentity(identity)
        if fleet.serverPublicKey != identity.serverPublicKey {
            throw Mismatch(description: "this node's server key (\(identity.serverPublicKey.prefix(16))…) is not the fleet's "
                + "(\(fleet.serverPublicKey.prefix(16))…): every node needs the same identity.key in its data directory")
        }
        if fleet.secretFingerprint != identity.secretFingerprint {
            throw Mismatch(description: "this node's token secret is not the fleet's (fingerprint "
                + "\(identity.secretFingerprint.prefix(16))… against \(fleet.secretFingerprint.prefix(16))…): every node "
                + "needs the same token.secret in its data directory")
        }
    }
}
