import ZTPClient
import ZTPCore

/// `bulk-up`, `bulk-down` and `streams`: one session moving many bytes in 64 KiB messages.
///
/// Upload sends to the sink (stream 10) and ends with `done`, whose answer carries the byte
/// count the server saw; download asks the source (stream 12) for the bytes in pieces, so
/// that what is requested and not yet read never exceeds the session's 1 MiB queue bound.
enum BulkScenario {
    static let chunkSize = FrameType.maxDataPayload
    static let chunk = [UInt8](repeating: 0xA5, count: chunkSize)
    /// Download requests: this many bytes each, this many outstanding at most.
    static let requestSize = 256 << 10
    static let requestsOutstanding = 3
    static let singleStreamKey = "ZTP bulk upload 1 stream, MB/s"

    static func upload(_ context: BenchContext) async throws -> [Row] {
        try await oneStream(context, direction: "up", name: "bulk upload, 1 stream") { client in
            try await send(bytes: context.sizes.bulkBytes, over: [SinkHandler.streamID], client: client)
        }
    }

    static func download(_ context: BenchContext) async throws -> [Row] {
        try await oneStream(context, direction: "down", name: "bulk download, 1 stream") { client in
            try await receive(bytes: context.sizes.bulkBytes, client: client)
        }
    }

    /// ZTP's runs, each followed by one transfer over each TLS baseline in the same direction,
    /// so that load from elsewhere on the machine lands on every side of the ratios.
    static func oneStream(_ context: BenchContext, direction: String, name: String,
                          transfer: @escaping (ZTPClient) async throws -> Void) async throws -> [Row] {
        let bytes = context.sizes.bulkBytes
        var openssl: [Double] = []
        var nioSSL: [Double] = []
        let (rate, cpu) = try await ztpSamples(context, direction: direction, transfer: { _, client in
            try await transfer(client)
        }, afterEachRun: { _ in
            openssl.append(try await TLSBaseline.bulkMegabytesPerSecond(context, direction: direction, bytes: bytes))
            nioSSL.append(try await NIOSSLBaseline.bulkMegabytesPerSecond(context, direction: direction, bytes: bytes))
        })
        if direction == "up" { context.report.baselines[singleStreamKey] = rate }
        let note = try await note(context, cpu: cpu)
        let scenario = direction == "up" ? "bulk-up" : "bulk-down"
        return [
            Row(scenario: scenario, name: name, value: rate, unit: "MB/s", baseline: "TLS 1.3 ChaCha20-Poly1305 (OpenSSL via Python ssl)",
                baselineValue: tlsMedian(context, direction: direction, rates: openssl, kind: "OpenSSL"), target: .atLeast(1.2), note: note),
            Row(scenario: scenario, name: name, value: rate, unit: "MB/s", baseline: NIOSSLBaseline.name,
                baselineValue: tlsMedian(context, direction: direction, rates: nioSSL, kind: "swift-nio-ssl"), target: .atLeast(1.2), note: note),
        ]
    }

    static func streams(_ context: BenchContext) async throws -> [Row] {
        let sizes = context.sizes
        let ids = [SinkHandler.streamID] + Array(SinkHandler.moreStreamIDs.prefix(sizes.streams - 1))
        // The one-stream baseline runs right after each 16-stream run, on the same server, so
        // that load from elsewhere on the machine lands on both sides of the ratio (taken from
        // the bulk-upload scenario minutes earlier, it swung the ratio between 0.77x and 1.2x).
        var single: [Double] = []
        let (rate, cpu) = try await ztpSamples(context, direction: "up x\(ids.count)", transfer: { _, client in
            try await send(bytes: sizes.bulkBytes, over: ids, client: client)
        }, afterEachRun: { server in
            let client = try await server.connect(token: context.token(client: "bulk"))
            let start = now()
            try await send(bytes: sizes.bulkBytes, over: [SinkHandler.streamID], client: client)
            single.append(Double(sizes.bulkBytes) / (now() - start) / 1e6)
            await client.close()
        })
        log("  ZTP up x1 (baseline): " + single.map(Row.format).joined(separator: ", ") + " MB/s")
        return [Row(scenario: "streams", name: "\(ids.count) streams on one session, aggregate", value: rate, unit: "MB/s",
                    baseline: "ZTP upload, 1 stream, alternating runs", baselineValue: Stats.median(single), target: .atLeast(0.95),
                    note: try await note(context, cpu: cpu))]
    }

    // MARK: Measuring

    /// The median MB/s over the runs, each on a new session of one server, and the median
    /// server CPU seconds per GiB moved. `afterEachRun` takes the baseline's sample in
    /// between, so that load from elsewhere on a shared machine lands on both sides.
    static func ztpSamples(_ context: BenchContext, direction: String,
                           transfer: @escaping (BenchServer, ZTPClient) async throws -> Void,
                           afterEachRun: (BenchServer) async throws -> Void = { _ in }) async throws -> (rate: Double, cpu: Double) {
        let server = try await context.startServer()
        defer { server.stop() }
        let bytes = Double(context.sizes.bulkBytes)
        var rates: [Double] = []
        var cpu: [Double] = []
        for _ in 0..<context.sizes.runs {
            let client = try await server.connect(token: context.token(client: "bulk"))
            let before = try server.stats()
            let start = now()
            try await transfer(server, client)
            let elapsed = now() - start
            let after = try server.stats()
            await client.close()
            rates.append(bytes / elapsed / 1e6)
            cpu.append((after.cpuSeconds - before.cpuSeconds) / (bytes / Double(1 << 30)))
            try await afterEachRun(server)
        }
        log("  ZTP \(direction): " + rates.map(Row.format).joined(separator: ", ") + " MB/s")
        return (Stats.median(rates), Stats.median(cpu))
    }

    static func tlsMedian(_ context: BenchContext, direction: String, rates: [Double], kind: String) -> Double {
        log("  TLS (\(kind)) \(direction): " + rates.map(Row.format).joined(separator: ", ") + " MB/s")
        let median = Stats.median(rates)
        let key = "TLS 1.3 ChaCha20 \(direction == "up" ? "upload" : "download")\(kind == "OpenSSL" ? "" : " (\(kind))"), MB/s"
        context.report.baselines[key] = median
        return median
    }

    static func note(_ context: BenchContext, cpu: Double) async throws -> String {
        // The record layer's floor: one AEAD pass per byte on each side, with the record layer's
        // cipher (libcrypto); libsodium's beside it for the record.
        let seal = try await context.baseline("crypto floor: ChaCha20-Poly1305 seal 64 KiB (libcrypto), MB/s") {
            CryptoFloor.sealMegabytesPerSecond(RecordChaChaPoly.self, bytes: 512 << 20)
        }
        _ = try await context.baseline("ChaCha20-Poly1305 seal 64 KiB (libsodium), MB/s") {
            CryptoFloor.sealMegabytesPerSecond(ChaChaPoly.self, bytes: 512 << 20)
        }
        return "\(context.sizes.bulkBytes >> 20) MiB per run, \(chunkSize)-byte messages, \(context.sizes.runs) runs; "
            + "server CPU \(Row.format(cpu)) s/GiB (seal floor \(Row.format(Double(1 << 30) / 1e6 / seal)) s/GiB at \(Int(seal)) MB/s)"
    }

    // MARK: Transfers

    /// Sends `bytes` split evenly over the sink streams, each ending with `done`, concurrently.
    static func send(bytes: Int, over ids: [UInt32], client: ZTPClient) async throws {
        let share = bytes / ids.count
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask {
                    let stream = try await client.openStream(id)
                    var iterator = stream.makeAsyncIterator()
                    var sent = 0
                    while sent < share {
                        let count = min(chunkSize, share - sent)
                        try await stream.send(count == chunkSize ? chunk : Array(chunk[0..<count]))
                        sent += count
                    }
                    try await stream.send(SinkHandler.done)
                    guard let reply = try await iterator.next(), Int(String(decoding: reply, as: UTF8.self)) == share else {
                        throw BenchError("the sink on stream \(id) did not confirm \(share) bytes")
                    }
                    await stream.close()
                }
            }
            try await group.waitForAll()
        }
    }

    /// Reads `bytes` from the source, keeping a few requests outstanding.
    static func receive(bytes: Int, client: ZTPClient) async throws {
        let stream = try await client.openStream(SourceHandler.streamID)
        var requested = 0
        var received = 0
        func topUp() async throws {
            while requested < bytes, requested - received < requestsOutstanding * requestSize {
                let count = min(requestSize, bytes - requested)
                try await stream.send(String(count))
                requested += count
            }
        }
        try await topUp()
        for try await message in stream {
            received += message.count
            if received >= bytes { break }
            try await topUp()
        }
        guard received == bytes else { throw BenchError("download ended after \(received) of \(bytes) bytes") }
        await stream.close()
    }
}
