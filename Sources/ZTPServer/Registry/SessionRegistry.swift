import NIOConcurrencyHelpers

/// The one shared mutable state of the server: who is connected.
///
/// The ZTP side registers and removes sessions; the management API and the chat handler look
/// them up and send them commands through their handles. One lock guards the maps; it is never
/// held while calling into a session.
public final class SessionRegistry: Sendable {
    private struct State {
        var sessions: [String: SessionHandle] = [:]
        var byClient: [String: Set<String>] = [:]
        var byToken: [String: Set<String>] = [:]
        /// Sessions per client id, counted from the handshake's reservation to the session's
        /// removal, so the per-client cap holds for handshakes that finish together.
        var perClient: [String: Int] = [:]
        /// Connections accepted and not yet authenticated or closed.
        var handshaking = 0
        var draining = false
    }

    private let state = NIOLockedValueBox(State())
    public let capacity: Int
    /// Sessions of one client id at most.
    public let perClientCapacity: Int

    public init(capacity: Int, perClientCapacity: Int = .max) {
        self.capacity = capacity
        self.perClientCapacity = perClientCapacity
    }

    /// Admits a new TCP connection unless sessions plus handshakes already fill the capacity
    /// or the server is draining.
    func admitConnection() -> Bool {
        state.withLockedValue { state in
            guard !state.draining, state.sessions.count + state.handshaking < capacity else { return false }
            state.handshaking += 1
            return true
        }
    }

    /// A connection admitted by `admitConnection` finished its handshake or closed before.
    func handshakeEnded() {
        state.withLockedValue { $0.handshaking -= 1 }
    }

    /// Takes a place for a new session of `clientID`; false when the client is at its cap.
    /// The place is given back by `remove` once the session is registered, or by
    /// `cancelReservation` if it never is.
    func reserveSession(clientID: String) -> Bool {
        state.withLockedValue { state in
            let count = state.perClient[clientID, default: 0]
            guard count < perClientCapacity else { return false }
            state.perClient[clientID] = count + 1
            return true
        }
    }

    func cancelReservation(clientID: String) {
        state.withLockedValue { Self.releasePlace(clientID, in: &$0) }
    }

    /// Makes a session with a reserved place visible to lookups and the revocation path.
    func register(_ handle: SessionHandle) {
        state.withLockedValue { state in
            state.sessions[handle.id] = handle
            state.byClient[handle.clientID, default: []].insert(handle.id)
            state.byToken[handle.tokenID, default: []].insert(handle.id)
        }
    }

    func remove(_ handle: SessionHandle) {
        state.withLockedValue { state in
            guard state.sessions[handle.id] === handle else { return }
            state.sessions[handle.id] = nil
            Self.releasePlace(handle.clientID, in: &state)
            state.byClient[handle.clientID]?.remove(handle.id)
            if state.byClient[handle.clientID]?.isEmpty == true { state.byClient[handle.clientID] = nil }
            state.byToken[handle.tokenID]?.remove(handle.id)
            if state.byToken[handle.tokenID]?.isEmpty == true { state.byToken[handle.tokenID] = nil }
        }
    }

    private static func releasePlace(_ clientID: String, in state: inout State) {
        if let count = state.perClient[clientID], count > 1 {
            state.perClient[clientID] = count - 1
        } else {
            state.perClient[clientID] = nil
        }
    }

    public var count: Int { state.withLockedValue { $0.sessions.count } }

    public var isDraining: Bool { state.withLockedValue { $0.draining } }

    /// Refuses new connections from now on.
    func beginDraining() {
        state.withLockedValue { $0.draining = true }
    }

    public func session(id: String) -> SessionHandle? {
        state.withLockedValue { $0.sessions[id] }
    }

    public func allSessions() -> [SessionHandle] {
        state.withLockedValue { Array($0.sessions.values) }
    }

    public func sessions(clientID: String) -> [SessionHandle] {
        state.withLockedValue { state in (state.byClient[clientID] ?? []).compactMap { state.sessions[$0] } }
    }

    public func sessions(tokenID: String) -> [SessionHandle] {
        state.withLockedValue { state in (state.byToken[tokenID] ?? []).compactMap { state.sessions[$0] } }
    }
}
