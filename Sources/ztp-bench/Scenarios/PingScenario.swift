import ZTPClient

/// `ping`: `ping` -> `pong` on the control stream (2), sequentially; round-trip p50 and p99,
/// against the same exchange over a plain SwiftNIO TCP echo in its own process.
///
/// Within each run, ZTP and echo alternate ping by ping, so that load from elsewhere on a
/// shared machine lands on both sides of the ratio alike. Whole runs alternated before, and
/// right after the bulk scenarios the p99 ratio swung between 1.7x and 2.6x from one full run
/// to the next, with the echo's own p99 anywhere from 190 to 1,500 us. Blocks of 1,000 were
/// tried too: the echo then settles into a faster rhythm (p50 about 50 us) that ZTP does not
/// reach (about 140 us); see docs/BENCHMARKS.md.
enum PingScenario {
    static let warmUp = 200
    /// Pings of one kind before switching to the other.
    static let block = 1
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
        var nioSSL = Percentiles()
        for _ in 0..<sizes.runs {
            let (ztpSamples, echoSamples) = try await alternatingRun(context, server: server, echoPort: echoPort)
            ztp.add(ztpSamples)
            plain.add(echoSamples)
            // `ztp-baselines` is a separate executable: its pings come run by run, not ping by ping.
            let tls = try await NIOSSLBaseline.ping(context, count: sizes.pings)
            nioSSL.p50.append(tls.p50)
            nioSSL.p99.append(tls.p99)
        }
        log("  ZTP p50 " + ztp.p50.map(Row.format).joined(separator: ", ") + " us; p99 " + ztp.p99.map(Row.format).joined(separator: ", ") + " us")
        log("  echo p50 " + plain.p50.map(Row.format).joined(separator: ", ") + " us; p99 " + plain.p99.map(Row.format).joined(separator: ", ") + " us")
        log("  swift-nio-ssl p50 " + nioSSL.p50.map(Row.format).joined(separator: ", ") + " us; p99 "
            + nioSSL.p99.map(Row.format).joined(separator: ", ") + " us")
        context.report.baselines["plain NIO TCP echo RTT p50, us"] = Stats.median(plain.p50)
        context.report.baselines["plain NIO TCP echo RTT p99, us"] = Stats.median(plain.p99)
        context.report.baselines["swift-nio-ssl TLS 1.3 RTT p50, us"] = Stats.median(nioSSL.p50)
        context.report.baselines["swift-nio-ssl TLS 1.3 RTT p99, us"] = Stats.median(nioSSL.p99)
        let note = "\(sizes.pings) sequential pings per run after \(warmUp) warm-up, \(sizes.runs) runs, alternating ping by ping with the echo"
        let baseline = "plain SwiftNIO TCP echo (4 bytes)"
        return [
            Row(scenario: "ping", name: "ping RTT p50", value: Stats.median(ztp.p50), unit: "us", baseline: baseline,
                baselineValue: Stats.median(plain.p50), target: .none, note: note),
            Row(scenario: "ping", name: "ping RTT p99", value: Stats.median(ztp.p99), unit: "us", baseline: baseline,
                baselineValue: Stats.median(plain.p99), target: .atMost(1.5), note: note),
            Row(scenario: "ping", name: "ping RTT p99", value: Stats.median(ztp.p99), unit: "us", baseline: NIOSSLBaseline.name + " (4 bytes)",
                baselineValue: Stats.median(nioSSL.p99), target: .atMost(1.0),
                note: "\(sizes.pings) sequential pings per run after \(warmUp) warm-up, in its own client and server processes after each ZTP run"),
        ]
    }

    /// Round trips in seconds of one ZTP session's control stream and of one echo connection,
    /// `sizes.pings` each, taken in alternating blocks.
    static func alternatingRun(_ context: BenchContext, server: BenchServer, echoPort: Int) async throws -> (ztp: [Double], echo: [Double]) {
        let client = try await server.connect(token: context.token(client: "ping"))
        let stream = try await client.openStream(2)
        var iterator = stream.makeAsyncIterator()
        let echo = try await TCPEchoClient.connect(port: echoPort)
        var echoIterator = echo.makeIterator()
        func ztpRoundTrip() async throws -> Double {
            let start = now()
            try await stream.send(message)
            guard let reply = try await iterator.next(), reply == Array("pong".utf8) else {
                throw BenchError("control stream did not answer pong")
            }
            return now() - start
        }
        for _ in 0..<warmUp {
            _ = try await ztpRoundTrip()
            _ = try await echo.roundTrip(message, iterator: &echoIterator)
        }
        var ztp: [Double] = []
        var plain: [Double] = []
        ztp.reserveCapacity(context.sizes.pings)
        plain.reserveCapacity(context.sizes.pings)
        while ztp.count < context.sizes.pings {
            let count = min(block, context.sizes.pings - ztp.count)
            for _ in 0..<count { ztp.append(try await ztpRoundTrip()) }
            for _ in 0..<count { plain.append(try await echo.roundTrip(message, iterator: &echoIterator)) }
        }
        await client.close()
        await echo.close()
        return (ztp, plain)
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
