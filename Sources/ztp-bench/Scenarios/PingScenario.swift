import ZTPClient

/// `ping`: `ping` -> `pong` on the control stream (2), sequentially; round-trip p50 and p99,
/// against the same exchange over a plain SwiftNIO TCP echo in its own process.
///
/// ZTP and echo runs alternate, so that a burst of load from elsewhere on a shared machine
/// lands on both sides of the ratio rather than on one.
enum PingScenario {
    static let warmUp = 200
    static let message = Array("ping".utf8)

    static func run(_ context: BenchContext) async throws -> [Row] {
        let sizes = context.sizes
        let server = try await context.startServer()
        defer { server.stop() }
        let echo = try ChildProcess(name: "tcp-echo", executable: context.benchExecutable, arguments: ["tcp-echo"],
                                    logDirectory: context.scratch)
        defer { echo.stop() }
        guard let echoPort = Int(try await echo.waitForLine(prefix: "ready ")) else { throw BenchError("tcp-echo printed no port") }
        var ztp = Percentiles()
        var plain = Percentiles()
        for _ in 0..<sizes.runs {
            ztp.add(try await ztpRun(context, server: server))
            plain.add(try await echoRun(port: echoPort, count: sizes.pings))
        }
        log("  ZTP p50 " + ztp.p50.map(Row.format).joined(separator: ", ") + " us; p99 " + ztp.p99.map(Row.format).joined(separator: ", ") + " us")
        log("  echo p50 " + plain.p50.map(Row.format).joined(separator: ", ") + " us; p99 " + plain.p99.map(Row.format).joined(separator: ", ") + " us")
        context.report.baselines["plain NIO TCP echo RTT p50, us"] = Stats.median(plain.p50)
        context.report.baselines["plain NIO TCP echo RTT p99, us"] = Stats.median(plain.p99)
        let note = "\(sizes.pings) sequential pings per run after \(warmUp) warm-up, \(sizes.runs) runs alternating with the echo"
        let baseline = "plain SwiftNIO TCP echo (4 bytes)"
        return [
            Row(scenario: "ping", name: "ping RTT p50", value: Stats.median(ztp.p50), unit: "us", baseline: baseline,
                baselineValue: Stats.median(plain.p50), target: .none, note: note),
            Row(scenario: "ping", name: "ping RTT p99", value: Stats.median(ztp.p99), unit: "us", baseline: baseline,
                baselineValue: Stats.median(plain.p99), target: .atMost(2.0), note: note),
        ]
    }

    /// Round trips in seconds of one ZTP session's control stream.
    static func ztpRun(_ context: BenchContext, server: BenchServer) async throws -> [Double] {
        let client = try await server.connect(token: context.token(client: "ping"))
        let stream = try await client.openStream(2)
        var iterator = stream.makeAsyncIterator()
        var samples: [Double] = []
        samples.reserveCapacity(context.sizes.pings)
        for index in 0..<(warmUp + context.sizes.pings) {
            let start = now()
            try await stream.send(message)
            guard let reply = try await iterator.next(), reply == Array("pong".utf8) else {
                throw BenchError("control stream did not answer pong")
            }
            if index >= warmUp { samples.append(now() - start) }
        }
        await client.close()
        return samples
    }

    /// Round trips in seconds of one plain echo connection.
    static func echoRun(port: Int, count: Int) async throws -> [Double] {
        let client = try await TCPEchoClient.connect(port: port)
        var iterator = client.makeIterator()
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for index in 0..<(warmUp + count) {
            let rtt = try await client.roundTrip(message, iterator: &iterator)
            if index >= warmUp { samples.append(rtt) }
        }
        await client.close()
        return samples
    }
}

/// p50 and p99 of each run, in microseconds.
struct Percentiles {
    var p50: [Double] = []
    var p99: [Double] = []

    mutating func add(_ samples: [Double]) {
        p50.append(Stats.percentile(samples, 50) * 1e6)
        p99.append(Stats.percentile(samples, 99) * 1e6)
    }
}
