import NIOCore
import ZTPClient

/// `chat-flood`: one sender broadcasts on stream 1 as fast as the server takes it, to
/// `chatFloodListeners` sessions that read everything (light sessions: they count messages and
/// nothing else), while a bystander session pings on its control stream from a process of its
/// own (`ztp-bench ping-probe`), so that its round trips are the server's, not this busy
/// process's scheduling. The server bounds each sender's deliveries in flight (issue 10): past the
/// bound it stops reading the sender, so its RSS must stay flat and the bystander must still be
/// served promptly. Figures: the bystander's ping p99, the server's RSS growth after warm-up,
/// and the messages the listeners received per second.
enum ChatFloodScenario {
    static let warmUp = 2.0
    static let pingBudgetMilliseconds = 50.0
    static let rssBudgetMiB = 8.0

    static func run(_ context: BenchContext) async throws -> [Row] {
        let sizes = context.sizes
        var p99: [Double] = []
        var growth: [Double] = []
        var rates: [Double] = []
        for _ in 0..<sizes.runs {
            let sample = try await oneRun(context)
            p99.append(sample.pingP99 * 1e3)
            growth.append(sample.rssGrowth / Double(1 << 20))
            rates.append(sample.deliveriesPerSecond)
        }
        log("  bystander ping p99 " + p99.map(Row.format).joined(separator: ", ") + " ms; RSS growth "
            + growth.map(Row.format).joined(separator: ", ") + " MiB; " + rates.map(Row.format).joined(separator: ", ") + " deliveries/s")
        let note = "1 sender at line rate to \(sizes.chatFloodListeners) listeners for \(Row.format(sizes.chatFloodSeconds)) s, "
            + "\(sizes.runs) runs; RSS growth from \(Row.format(warmUp)) s in to the end"
        return [
            Row(scenario: "chat-flood", name: "bystander ping p99 during a chat flood", value: Stats.median(p99), unit: "ms",
                baseline: "budget", baselineValue: pingBudgetMilliseconds, target: .atMost(1.0), note: note),
            Row(scenario: "chat-flood", name: "server RSS growth during a chat flood", value: Stats.median(growth), unit: "MiB",
                baseline: "budget", baselineValue: rssBudgetMiB, target: .atMost(1.0), note: note),
            Row(scenario: "chat-flood", name: "chat messages delivered per second", value: Stats.median(rates), unit: "/s",
                baseline: nil, baselineValue: nil, target: .none, note: note),
        ]
    }

    struct Sample {
        var pingP99: Double
        var rssGrowth: Double
        var deliveriesPerSecond: Double
    }

    static func oneRun(_ context: BenchContext) async throws -> Sample {
        let sizes = context.sizes
        let server = try await context.startServer()
        defer { server.stop() }
        let received = Counter()
        var listeners: [any Channel] = []
        let listenerToken = context.token(client: "listener")
        for index in 0..<sizes.chatFloodListeners {
            listeners.append(try await LightSession.connect(host: "127.0.0.1", port: server.port, source: "127.0.8.\(1 + index / 50)",
                                                            token: listenerToken, serverKey: server.serverKey,
                                                            listen: (stream: 1, received: received)))
        }
        defer { for listener in listeners { listener.close(promise: nil) } }
        let probe = try ChildProcess(
            name: "ping-probe", executable: context.benchExecutable,
            arguments: ["ping-probe", "--port", String(server.port), "--server-key", server.serverKey.lowercaseHex,
                        "--seconds", String(sizes.chatFloodSeconds), "--warm-up", String(warmUp)],
            environment: ["ZTP_BENCH_TOKEN": context.token(client: "bystander")], logDirectory: context.scratch)
        defer { probe.stop() }
        _ = try await probe.waitForLine(prefix: "ready")
        let sender = try await server.connect(token: context.token(client: "sender"))
        let chat = try await sender.openStream(1)
        let replies = Task { do { for try await _ in chat {} } catch {} }

        let start = now()
        let end = start + sizes.chatFloodSeconds
        let flood = Task {
            var index = 0
            while now() < end {
                do { try await chat.send("flood \(index)") } catch { return }
                index += 1
            }
        }
        probe.send(line: "start")
        var rss: [(time: Double, bytes: Int)] = []
        while now() < end {
            rss.append((now() - start, try server.stats().residentBytes))
            try await Task.sleep(for: .milliseconds(250))
        }
        let result = try await probe.waitForLine(prefix: "result", timeout: sizes.chatFloodSeconds + 30).split(separator: " ")
        guard result.count == 3, let pingP99 = Double(result[1]), let pings = Int(result[2]), pings > 0 else {
            throw BenchError("ping-probe printed no usable result: \(result.joined(separator: " "))")
        }
        let deliveries = Double(received.count) / (now() - start)
        // A send the server holds back (it stopped reading the sender) ends when the session does.
        flood.cancel()
        await sender.close()
        _ = await flood.value
        let afterWarmUp = rss.filter { $0.time >= warmUp }
        guard let first = afterWarmUp.first, let last = afterWarmUp.last else {
            throw BenchError("the flood ran too short to sample")
        }
        replies.cancel()
        server.stop()
        return Sample(pingP99: pingP99, rssGrowth: Double(last.bytes - first.bytes), deliveriesPerSecond: deliveries)
    }
}
