import Benchmark
import ZTPCore

// Allocations per DATA frame on the core's hot path (issue 12: zero in steady state), counted
// by package-benchmark's malloc interposer. Each benchmark keeps one client and one server
// `Connection`, brought through the handshake in memory and warmed up before the first
// measurement, and moves DATA as the NIO drivers do on the way in: bytes through `receive` (one
// frame per call, the worst case, or 16), events into an array kept across calls. On the way
// out the bytes go through `drainOutbound` into a reused buffer; the drivers instead hand the
// sealed buffer itself to NIO (`takeOutboundBuffer`), one buffer per write, which is the
// transport's allocation (as it was when they copied into a new buffer per write), not the
// core's. Counts are per frame (`scalingFactor: .kilo`, 1,000 frames a run).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal, .throughput, .wallClock],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 100
    )

    for size in [64, 1024, 16 * 1024] {
        // A window that 1,000 frames cannot exhaust, so that one side runs alone while measured.
        let oneWay = PairBox(streamWindow: Int(Int32.max), payloadSize: size)
        Benchmark("DATA \(size) B, seal (client)") { benchmark in
            let pair = oneWay.pair
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations { pair.clientSends() }
            benchmark.stopMeasurement()
            pair.serverReceivesAll()
        }

        Benchmark("DATA \(size) B, open (server)") { benchmark in
            let pair = oneWay.pair
            for _ in benchmark.scaledIterations { pair.clientSends() }
            benchmark.startMeasurement()
            pair.serverReceives(framesPerRead: 1)
            benchmark.stopMeasurement()
            pair.clientReceivesAll()
        }

        // Several frames in one read: the payloads handed on share the receive buffer, and each
        // later frame is still opened in place without copying it.
        Benchmark("DATA \(size) B, open (server), 16 frames a read") { benchmark in
            let pair = oneWay.pair
            for _ in benchmark.scaledIterations { pair.clientSends() }
            benchmark.startMeasurement()
            pair.serverReceives(framesPerRead: 16)
            benchmark.stopMeasurement()
            pair.clientReceivesAll()
        }

        // The default window: credit goes back as WINDOW_UPDATE, as in a long transfer.
        let duplex = PairBox(streamWindow: SessionParameters().streamWindow, payloadSize: size)
        Benchmark("DATA \(size) B, both ways with credit") { benchmark in
            let pair = duplex.pair
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                pair.clientSends()
                pair.serverSends()
                pair.exchange()
            }
            benchmark.stopMeasurement()
        }
    }
}

/// Made on first use, so that only the benchmarks that run pay for a handshake and warm-up.
final class PairBox {
    private let streamWindow: Int
    private let payloadSize: Int
    private var made: EstablishedPair?

    init(streamWindow: Int, payloadSize: Int) {
        self.streamWindow = streamWindow
        self.payloadSize = payloadSize
    }

    var pair: EstablishedPair {
        if let made { return made }
        let pair = EstablishedPair(streamWindow: streamWindow, payload: [UInt8](repeating: 0x5A, count: payloadSize))
        made = pair
        return pair
    }
}
