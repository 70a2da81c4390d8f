import ArgumentParser
import Foundation
import ZTPClient
import ZTPCore

/// `ztp-bench ping-probe`: one session that pings on its control stream for a while and prints
/// its round trips' percentiles: `ready` once connected, then `result P50 P99 COUNT` (seconds).
///
/// A process of its own, so that what it measures is the server's answer time, not the
/// scheduling of a bench process busy with hundreds of other sessions.
struct PingProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ping-probe", abstract: "Ping a ZTP server and print round-trip percentiles.")

    @Option(help: "The server's port on 127.0.0.1")
    var port: Int

    @Option(help: "The server's Ed25519 public key, hex")
    var serverKey: String

    @Option(help: "Seconds to ping after the start line on stdin")
    var seconds: Double

    @Option(help: "Seconds of those not counted (warm-up)")
    var warmUp: Double = 0

    func run() async throws {
        guard let token = ProcessInfo.processInfo.environment["ZTP_BENCH_TOKEN"] else {
            throw BenchError("ZTP_BENCH_TOKEN is not set")
        }
        let client = try await ZTPClient.connect(host: "127.0.0.1", port: port, token: token,
                                                 trust: .pinned(try Self.bytes(hex: serverKey)))
        let control = try await client.openStream(2)
        var pongs = control.makeAsyncIterator()
        print("ready")
        fflush(nil)
        _ = readLine()
        let start = now()
        var rtts: [Double] = []
        while now() < start + seconds {
            let sentAt = now()
            try await control.send("ping")
            guard let reply = try await pongs.next(), reply == Array("pong".utf8) else { throw BenchError("no pong") }
            if sentAt - start >= warmUp { rtts.append(now() - sentAt) }
        }
        await client.close()
        print("result \(Stats.percentile(rtts, 50)) \(Stats.percentile(rtts, 99)) \(rtts.count)")
        fflush(nil)
    }

    static func bytes(hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { throw BenchError("odd-length hex") }
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw BenchError("not hex: \(hex)")
            }
            return byte
        }
    }
}
