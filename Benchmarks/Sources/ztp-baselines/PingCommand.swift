import ArgumentParser
import NIOCore

/// `ztp-baselines ping`: sequential 4-byte round trips over TLS 1.3 to the echoing server, the
/// exchange ztp-bench's `ping` makes on ZTP's control stream. Prints
/// `{"count", "p50_us", "p99_us", "cipher", "version"}`.
struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ping", abstract: "Time sequential round trips.")

    @OptionGroup var certificate: CertificateOptions

    @Option(help: "Round trips measured")
    var count = 20_000

    @Option(help: "Round trips before measuring")
    var warmUp = 200

    func run() async throws {
        try ChaChaOnly.ensure()
        let server = try ServerChild.start(certificate)
        defer { server.stop() }
        let connection = try await TLSClient.connect(port: server.port)
        let samples = try await connection.executeThenClose { inbound, outbound in
            var request = ByteBuffer()
            BaselineRequest(operation: .echo, count: 0, chunk: 0).write(to: &request)
            try await outbound.write(request)
            let message = ByteBuffer(string: "ping")
            var replies = inbound.makeAsyncIterator()
            var samples: [Double] = []
            samples.reserveCapacity(count)
            for index in 0..<(warmUp + count) {
                let start = now()
                try await outbound.write(message)
                var received = 0
                while received < message.readableBytes {
                    guard let reply = try await replies.next() else { throw BaselineError("the server closed") }
                    received += reply.readableBytes
                }
                if index >= warmUp { samples.append((now() - start) * 1e6) }
            }
            return samples.sorted()
        }
        // Nearest rank, as ztp-bench's `Stats.percentile`.
        func percentile(_ p: Double) -> Double {
            samples[min(max(Int((p / 100 * Double(samples.count)).rounded(.up)), 1), samples.count) - 1]
        }
        try printJSON(["count": count, "p50_us": percentile(50), "p99_us": percentile(99),
                       "cipher": "TLS_CHACHA20_POLY1305_SHA256", "version": "TLSv1.3"])
    }
}
