import ZTPClient

/// `chat-flood`: one sender broadcasts on stream 1 as fast as the server takes it, to
/// `chatFloodListeners` sessions that read everything, while a bystander session pings on its
/// control stream. The server bounds each sender's deliveries in flight (issue 10): past the
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
        let listeners = try await IdleScenario.connect(server: server, token: context.token(client: "listener"),
                                                       count: sizes.chatFloodListeners)
        let received = Counter()
        var readers: [Task<Void, Never>] = []
        for client in listeners {
            let stream = try await client.openStream(1)
            readers.append(Task {
                do { for try await _ in stream { _ = received.next() } } catch {}
            })
        }
        let bystander = try await server.connect(token: context.token(client: "bystander"))
        let control = try await bystander.openStream(2)
        var pongs = control.makeAsyncIterator()
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
        var rss: [(time: Double, bytes: Int)] = []
        var rtts: [Double] = []
        var nextSample = start
        while now() < end {
            if now() >= nextSample {
                rss.append((now() - start, try server.stats().residentBytes))
                nextSample += 0.25
            }
            let sentAt = now()
            try await control.send("ping")
            guard let reply = try await pongs.next(), reply == Array("pong".utf8) else { throw BenchError("bystander got no pong") }
            if sentAt - start >= warmUp { rtts.append(now() - sentAt) }
        }
        let deliveries = Double(received.count) / (now() - start)
        // A send the server holds back (it stopped reading the sender) ends when the session does.
        flood.cancel()
        await sender.close()
        _ = await flood.value
        let afterWarmUp = rss.filter { $0.time >= warmUp }
        guard let first = afterWarmUp.first, let last = afterWarmUp.last, !rtts.isEmpty else {
            throw BenchError("the flood ran too short to sample")
        }
        replies.cancel()
        for reader in readers { reader.cancel() }
        await bystander.close()
        server.stop()
        await IdleScenario.closeAll(listeners)
        return Sample(pingP99: Stats.percentile(rtts, 99), rssGrowth: Double(last.bytes - first.bytes), deliveriesPerSecond: deliveries)
    }
}
