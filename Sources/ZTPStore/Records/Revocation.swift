/// A revocation as every server on the database learns it: the token and its place in the
/// order revocations were committed (1, 2, 3, ... per database, never reused).
///
/// Sequence numbers are handed out inside the revoking transaction under one lock, so they
/// become visible in the order they were given: a server that has seen every revocation up to
/// `n` misses none by asking for those after `n`, whenever it asks.
public struct Revocation: Sendable, Equatable {
    public var jti: String
    public var sequence: Int64

    public init(jti: String, sequence: Int64) {
        self.jti = jti
        self.sequence = sequence
    }
}

/// The revoked tokens at one moment, and the sequence number of the last revocation then:
/// what a server loads at start, before it follows `Store.revocations(after:limit:)`.
public struct RevocationSnapshot: Sendable, Equatable {
    public var jtis: Set<String>
    public var lastSequence: Int64

    public init(jtis: Set<String>, lastSequence: Int64) {
        self.jtis = jtis
        self.lastSequence = lastSequence
    }
}
