import Synchronization
import ZTPClient

/// `chat`: one session broadcasts on stream 1 to every other session with stream 1 open; the
/// figure is delivery latency, from the sender's `send` to each recipient's read.
///
/// Messages go one at a time: the next leaves once every recipient has read the previous one,
/// so each sample is one fan-out, not a queue of them.
enum ChatScenario {
    static func run(_ context: BenchContext) async throws -> [Row] {
        let sizes = context.sizes
        var p50: [Double] = []
        var p99: [Double] = []
        let server = try await context.startServer()
        defer { server.stop() }
        let recipients = sizes.chatSessions - 1
        let clients = try await IdleScenario.connect(server: server, token: context.token(client: "listener"), count: recipients)
        let arrivals = ArrivalLog()
        var listeners: [Task<Void, Never>] = []
        for client in clients {
            let stream = try await client.openStream(1)
            listeners.append(Task {
                do {
                    for try await message in stream {
                        arrivals.record(message)
                    }
                } catch {}
            })
        }
        let sender = try await server.connect(token: context.token(client: "sender"))
        let stream = try await sender.openStream(1)
        var replies = stream.makeAsyncIterator()
        // Every recipient's stream 1 is open at the server once a broadcast reaches them all.
        try await broadcast(-1, stream: stream, replies: &replies, log: arrivals, expected: recipients)
        for _ in 0..<sizes.runs {
            arrivals.reset()
            for index in 0..<sizes.chatMessages {
                try await broadcast(index, stream: stream, replies: &replies, log: arrivals, expected: recipients)
            }
            let latencies = arrivals.latencies()
            p50.append(Stats.percentile(latencies, 50) * 1e3)
            p99.append(Stats.percentile(latencies, 99) * 1e3)
        }
        for listener in listeners { listener.cancel() }
        await sender.close()
        server.stop()
        await IdleScenario.closeAll(clients)
        log("  p50 " + p50.map(Row.format).joined(separator: ", ") + " ms; p99 " + p99.map(Row.format).joined(separator: ", ") + " ms")
        let note = "\(sizes.chatMessages) broadcasts to \(recipients) sessions per run, \(sizes.runs) runs"
        return [
            Row(scenario: "chat", name: "chat delivery p50", value: Stats.median(p50), unit: "ms", baseline: nil, baselineValue: nil,
                target: .none, note: note),
            Row(scenario: "chat", name: "chat delivery p99", value: Stats.median(p99), unit: "ms", baseline: "budget", baselineValue: 10,
                target: .atMost(1.0), note: note),
        ]
    }

    /// Sends message `index`, waits for the server's `ok: delivered to N` and for every
    /// recipient to have read it.
    static func broadcast(_ index: Int, stream: ZTPStream, replies: inout ZTPStream.Iterator, log: ArrivalLog,
                          expected: Int) async throws {
        log.sent(index)
        try await stream.send("m \(index)")
        guard let reply = try await replies.next() else { throw BenchError("sender's chat stream ended") }
        let text = String(decoding: reply, as: UTF8.self)
        guard text == "ok: delivered to \(expected)" else { throw BenchError("chat answered '\(text)', expected \(expected) deliveries") }
        let deadline = now() + 30
        while log.arrivals(of: index) < expected {
            guard now() < deadline else { throw BenchError("message \(index) reached \(log.arrivals(of: index)) of \(expected)") }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// Send times and arrival times, shared by the sender and every listener.
final class ArrivalLog: Sendable {
    private struct State {
        var sentAt: [Int: Double] = [:]
        var counts: [Int: Int] = [:]
        var latencies: [Double] = []
    }

    private let state = Mutex(State())

    func sent(_ index: Int) {
        let time = now()
        state.withLock { $0.sentAt[index] = time }
    }

    /// Recipients see `sender: m INDEX`.
    func record(_ message: [UInt8]) {
        let time = now()
        let text = String(decoding: message, as: UTF8.self)
        guard let marker = text.range(of: ": m "), let index = Int(text[marker.upperBound...]) else { return }
        state.withLock { state in
            state.counts[index, default: 0] += 1
            if let sentAt = state.sentAt[index], index >= 0 { state.latencies.append(time - sentAt) }
        }
    }

    func arrivals(of index: Int) -> Int {
        state.withLock { $0.counts[index] ?? 0 }
    }

    func latencies() -> [Double] {
        state.withLock { $0.latencies }
    }

    func reset() {
        state.withLock { $0 = State() }
    }
}
