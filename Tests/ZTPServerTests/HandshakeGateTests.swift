import Testing
@testable import ZTPServer

/// Admission before any crypto: a global cap on handshakes in progress, and per address a cap
/// and a rate that apply only under load (more than half the global cap in use) unless the
/// operator asks for them always.
@Suite("Handshake gate")
struct HandshakeGateTests {
    static func gate(max: Int = 32, perAddress: Int = 8, rate: Double = 50, always: Bool = false) -> HandshakeGate {
        HandshakeGate(.init(maxHandshakes: max, maxPerAddress: perAddress, ratePerSecond: rate, always: always))
    }

    @Test("on an idle server one address may start up to half the cap at once, then is held to its own cap")
    func perAddressOnlyUnderLoad() {
        let gate = Self.gate(rate: 0)
        for index in 0..<16 { #expect(gate.admit(address: "a", now: 0) == .admitted, "handshake \(index)") }
        #expect(gate.admit(address: "a", now: 0) == .tooManyFromAddress)
        // Another address still has room under load, up to its own cap.
        for _ in 0..<8 { #expect(gate.admit(address: "b", now: 0) == .admitted) }
        #expect(gate.admit(address: "b", now: 0) == .tooManyFromAddress)
        // Load passes: "a" finishes its handshakes and may burst again.
        for _ in 0..<16 { gate.release(address: "a") }
        for _ in 0..<8 { gate.release(address: "b") }
        for _ in 0..<16 { #expect(gate.admit(address: "a", now: 1) == .admitted) }
    }

    @Test("the global cap holds for every address")
    func globalCap() {
        let gate = Self.gate(max: 4, perAddress: 100, rate: 0)
        for index in 0..<4 { #expect(gate.admit(address: "10.0.0.\(index)", now: 0) == .admitted) }
        #expect(gate.admit(address: "10.0.0.9", now: 0) == .tooManyHandshakes)
        gate.release(address: "10.0.0.0")
        #expect(gate.admit(address: "10.0.0.9", now: 0) == .admitted)
    }

    @Test("the rate is accounted always but refuses only under load; the address that hammered is held back first")
    func rateUnderLoad() {
        let gate = Self.gate(max: 32, perAddress: 100, rate: 5)
        // Idle: 30 connections in a burst from "a", each finishing at once, all admitted.
        for _ in 0..<30 {
            #expect(gate.admit(address: "a", now: 0) == .admitted)
            gate.release(address: "a")
        }
        // Load arrives (16 in progress from elsewhere): "a" has spent its bucket, "c" has not.
        for index in 0..<16 { #expect(gate.admit(address: "b\(index)", now: 0) == .admitted) }
        #expect(gate.admit(address: "a", now: 0) == .rateLimited)
        #expect(gate.admit(address: "c", now: 0) == .admitted)
        // A second later "a" has earned five more.
        for _ in 0..<5 { #expect(gate.admit(address: "a", now: 1) == .admitted) }
        #expect(gate.admit(address: "a", now: 1) == .rateLimited)
    }

    @Test("with the limits always on, one address is held to its cap on an idle server")
    func always() {
        let gate = Self.gate(rate: 0, always: true)
        for _ in 0..<8 { #expect(gate.admit(address: "a", now: 0) == .admitted) }
        #expect(gate.admit(address: "a", now: 0) == .tooManyFromAddress)
    }
}
