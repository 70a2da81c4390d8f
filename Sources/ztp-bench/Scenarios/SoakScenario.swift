import Foundation
import Synchronization
import ZTPCore
import ZTPServer

/// `soak`: the real `ztp-server` under churn for a while (issue 11). Each of `sessions` workers
/// has its own loopback source address and, until the time is up, connects with a token from a
/// pool issued through the API, chats, runs control commands, sends bulk echo bursts, opens and
/// closes streams, and leaves politely or abruptly; some workers abandon handshakes midway.
/// Meanwhile the API revokes tokens and terminates sessions, and `/metrics` and `/v1/sessions`
/// are polled. The server's RSS, fds, threads and registry are sampled every second.
///
/// Pass: RSS grows less than 5% from the end of warm-up to the end of the load (linear fit),
/// fds and the registry are back at their baseline once the clients have left, the server never
/// died, and every session that the server ended did so with TERMINATED or TOKEN_REVOKED.
struct SoakScenario {
    var seconds: Double
    var sessions: Int
    var warmup: Double
    var serverExecutable: String
    var scratch: String

    struct Sample: Codable {
        var t: Double
        var rssBytes: Int
        /// The anonymous part of RSS (heap, stacks), without mapped files (the binary, its libraries).
        var rssAnonBytes: Int
        /// `ztp_heap_in_use_bytes` and `ztp_heap_free_bytes`: live data, and what malloc keeps.
        var heapInUseBytes: Int
        var heapFreeBytes: Int
        var fds: Int
        var threads: Int
        /// `ztp_sessions_active` (the registry).
        var sessions: Int
        var streams: Int
        /// Sessions this process holds open.
        var clientSessions: Int
    }

    struct Result: Codable {
        var seconds: Double
        var sessions: Int
        var warmup: Double
        var samples: [Sample]
        var baseline: Sample
        var final: Sample
        var counts: [String: Int]
        var rssGrowthPercent: Double
        var rssSlopeKiBPerMinute: Double
        /// The same trend for the heap in use: near zero when RSS grows only by what malloc keeps.
        var heapInUseGrowthPercent: Double
        var heapInUseSlopeKiBPerMinute: Double
        var serverClosedReasons: [String: Double]
        /// `ztp_handshakes_total` by result.
        var serverHandshakes: [String: Double]
        /// `ztp_protocol_errors_total` by kind: which rule a peer broke, sessions and handshakes alike.
        var serverProtocolErrors: [String: Double]
        var failures: [String]
        var passed: Bool { failures.isEmpty }
    }

    /// What the workers did and saw, counted across all of them.
    final class Tally: Sendable {
        private let counts = Mutex<[String: Int]>([:])
        private let live = Atomic<Int>(0)

        func add(_ name: String, _ amount: Int = 1) {
            counts.withLock { $0[name, default: 0] += amount }
        }

        var snapshot: [String: Int] { counts.withLock { $0 } }
        var liveSessions: Int { live.load(ordering: .relaxed) }
        func opened() { live.add(1, ordering: .relaxed) }
        func left() { live.subtract(1, ordering: .relaxed) }
    }

    /// The sampler's stop flag and samples, shared with the task group.
    final class Shared: Sendable {
        let stop = Atomic<Bool>(false)
        let samples = Mutex<[Sample]>([])
    }

    /// Tokens issued through the API, replaced as they are revoked.
    final class TokenPool: Sendable {
        private let tokens = Mutex<[(jti: String, token: String)]>([])

        func set(_ all: [(jti: String, token: String)]) { tokens.withLock { $0 = all } }
        func random() -> String { tokens.withLock { $0.randomElement()!.token } }
        func replace(at index: Int, with new: (jti: String, token: String)) -> String {
            tokens.withLock { list in
                let old = list[index % list.count].jti
                list[index % list.count] = new
                return old
            }
        }
    }

    func run() async throws -> Result {
        let directory = try DataDirectory(path: (scratch as NSString).appendingPathComponent("soak-data"))
        let identity = try directory.loadOrCreateIdentity()
        let adminKey = SecureRandom.bytes(24).lowercaseHex
        let ztpPort = try Loopback.freePort()
        let httpPort = try Loopback.freePort()
        let server = try ChildProcess(
            name: "ztp-server", executable: serverExecutable,
            arguments: ["--listen", "127.0.0.1:\(ztpPort)", "--http-listen", "127.0.0.1:\(httpPort)", "--data-dir", directory.path,
                        "--no-demo-token", "--log-level", "warning", "--max-sessions", String(sessions + 100)],
            environment: ["ZTP_ADMIN_KEY": adminKey], logDirectory: scratch)
        defer { server.stop() }
        try await APIScenario.waitUntilReady(httpPort: httpPort)
        let api = API(port: httpPort, key: adminKey)

        let pool = TokenPool()
        var issued: [(jti: String, token: String)] = []
        for index in 0..<40 { issued.append(try await api.issueToken(client: "soak-\(index)")) }
        pool.set(issued)
        // Settle, then the baseline: the server with its API used once and no sessions.
        try await Task.sleep(for: .seconds(2))
        let start = now()
        let baseline = try sample(server: server, api: api, at: 0, tally: Tally())
        log("  baseline: RSS \(baseline.rssBytes >> 20) MiB, \(baseline.fds) fds, \(baseline.threads) threads, \(baseline.sessions) sessions")

        let tally = Tally()
        let shared = Shared()
        let end = start + seconds
        let serverKey = identity.publicKey

        try await withThrowingTaskGroup(of: Void.self) { group in
            // The sampler, which also polls /metrics (through `sample`).
            group.addTask {
                while !shared.stop.load(ordering: .relaxed) {
                    if let point = try? sample(server: server, api: api, at: now() - start, tally: tally) {
                        shared.samples.withLock { $0.append(point) }
                    } else {
                        tally.add("sample failed")
                    }
                    try await Task.sleep(for: .seconds(1))
                }
            }
            // The operator: lists sessions, terminates one, revokes a token and issues another.
            group.addTask {
                var round = 0
                while now() < end {
                    try await Task.sleep(for: .seconds(2))
                    round += 1
                    if let ids = try? await api.sessionIDs(), let victim = ids.randomElement() {
                        tally.add("sessions listed")
                        let status = try await api.terminate(session: victim)
                        tally.add(status == 204 ? "admin terminations" : "admin termination \(status)")
                    }
                    if round % 2 == 0 {
                        let replacement = try await api.issueToken(client: "soak-r\(round)")
                        let old = pool.replace(at: round, with: replacement)
                        let status = try await api.revoke(jti: old)
                        tally.add(status == 204 || status == 200 ? "token revocations" : "token revocation \(status)")
                    }
                }
            }
            for worker in 0..<sessions {
                group.addTask {
                    let source = "127.0.\(1 + worker / 250).\(1 + worker % 250)"
                    // Spread the starts over the first seconds rather than 1,000 handshakes at once.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0..<min(10_000, Int(seconds * 250)))))
                    while now() < end {
                        await churn(source: source, port: ztpPort, serverKey: serverKey, pool: pool, tally: tally, until: end)
                    }
                }
            }
            // Workers and operator end on their own; then stop the sampler.
            var finished = 0
            while finished < sessions + 1, try await group.next() != nil { finished += 1 }
            shared.stop.store(true, ordering: .relaxed)
            try await group.waitForAll()
        }
        let loadEnd = now() - start
        log("  load over after \(Int(loadEnd)) s; waiting for the server to let go")

        // After the clients: give the server up to 30 s to return to its baseline.
        var final = try sample(server: server, api: api, at: now() - start, tally: tally)
        let settleDeadline = now() + 30
        while (final.fds > baseline.fds + 2 || final.sessions != baseline.sessions) && now() < settleDeadline {
            try await Task.sleep(for: .seconds(1))
            final = try sample(server: server, api: api, at: now() - start, tally: tally)
            shared.samples.withLock { $0.append(final) }
        }
        let reasons = try await api.counter("ztp_sessions_closed_total", by: "reason")
        let handshakes = try await api.counter("ztp_handshakes_total", by: "result")
        let protocolErrors = try await api.counter("ztp_protocol_errors_total", by: "kind")
        let alive = server.process.isRunning

        let all = shared.samples.withLock { $0 }
        let loaded = all.filter { $0.t >= warmup && $0.t <= loadEnd }
        /// Growth over the load from the end of warm-up: least-squares slope × duration, relative
        /// to the value just after warm-up (the mean of the first tenth of the samples).
        func trend(_ value: (Sample) -> Int) -> (percent: Double, kibPerMinute: Double) {
            let fit = Stats.linearFit(loaded.map { ($0.t, Double(value($0))) })
            let head = loaded.prefix(max(1, loaded.count / 10)).map { Double(value($0)) }
            let reference = head.reduce(0, +) / Double(max(1, head.count))
            let percent = loaded.count < 2 ? 0 : fit.slope * (loadEnd - warmup) / max(1, reference) * 100
            return (percent, fit.slope * 60 / 1024)
        }
        let rss = trend(\.rssBytes)
        let heap = trend(\.heapInUseBytes)
        let growth = rss.percent

        var failures: [String] = []
        let counts = tally.snapshot
        if !alive { failures.append("the server died; log: \(ChildProcess.tail(server.logPath))") }
        if growth >= 5 { failures.append(String(format: "RSS grew %.1f%% after warm-up (limit 5%%)", growth)) }
        if final.fds > baseline.fds + 2 { failures.append("\(final.fds) fds after the clients left, baseline \(baseline.fds)") }
        if final.sessions != baseline.sessions { failures.append("\(final.sessions) sessions in the registry after the clients left") }
        for (name, count) in counts where name.hasPrefix("unexpected") {
            failures.append("\(count) × \(name)")
        }
        if counts["sessions", default: 0] == 0 { failures.append("no session completed a handshake") }
        return Result(seconds: seconds, sessions: sessions, warmup: warmup, samples: all, baseline: baseline, final: final,
                      counts: counts, rssGrowthPercent: growth, rssSlopeKiBPerMinute: rss.kibPerMinute,
                      heapInUseGrowthPercent: heap.percent, heapInUseSlopeKiBPerMinute: heap.kibPerMinute,
                      serverClosedReasons: reasons, serverHandshakes: handshakes,
                      serverProtocolErrors: protocolErrors, failures: failures)
    }

    /// One session (or one abandoned handshake) from connect to leave.
    private func churn(source: String, port: Int, serverKey: [UInt8], pool: TokenPool, tally: Tally, until end: Double) async {
        if Int.random(in: 0..<100) < 5 {
            await abandonHandshake(source: source, port: port, tally: tally)
            return
        }
        let session: ChurnSession
        do {
            session = try await ChurnSession.connect(port: port, source: source, token: pool.random(), serverKey: serverKey)
        } catch let refused as ChurnRefused {
            // A token revoked between the pool read and the handshake is refused, as it should be.
            if case .peerClosed(.tokenRevoked, _) = refused.reason { tally.add("refused: revoked token") } else {
                tally.add("unexpected refusal \(refused.reason.code.name)")
            }
            try? await Task.sleep(for: .milliseconds(200))
            return
        } catch {
            tally.add("unexpected connect failure: \(error)")
            try? await Task.sleep(for: .milliseconds(200))
            return
        }
        tally.add("sessions")
        tally.opened()
        defer { tally.left() }
        // Chat is a broadcast to every session with stream 1 open: with all 1,000 in it, a
        // message from each every couple of seconds is ~150,000 deliveries a second, which
        // saturates two cores (handshakes then wait past their 10 s). The soak is about what
        // churn leaves behind, not fan-out throughput (the chat-flood scenario measures that),
        // so one session in five takes part in chat.
        let chats = Int.random(in: 0..<5) == 0
        let lifetime = Double.random(in: 2...12)
        let leave = min(end, now() + lifetime)
        var open: Set<UInt32> = []
        func ensure(_ stream: UInt32) async -> Bool {
            if open.contains(stream) { return true }
            guard await session.send(stream: stream, []) else { return false }
            open.insert(stream)
            tally.add("streams opened")
            return true
        }
        var alive = true
        while alive && now() < leave {
            let roll = Int.random(in: 0..<100)
            switch roll {
            case 0..<25 where chats:
                alive = await ensure(1)
                if alive { alive = await session.send(stream: 1, Array("soak \(source) \(Int.random(in: 0..<1_000_000))".utf8)) }
                if alive { tally.add("chat messages") }
            case 0..<55:
                alive = await ensure(2)
                if alive { alive = await session.send(stream: 2, Array(["ping", "status", "time", "whoami"].randomElement()!.utf8)) }
                if alive { tally.add("commands") }
            case 55..<60:
                alive = await bulkBurst(session, ensure: ensure, tally: tally)
            case 60..<70:
                if let stream = open.randomElement() {
                    await session.closeStream(stream)
                    open.remove(stream)
                    tally.add("streams closed")
                }
            default:
                break
            }
            // About one action a second per session: 1,000 sessions then keep the server and
            // this load generator, which share two cores, each well below one core.
            if alive { try? await Task.sleep(for: .milliseconds(Int.random(in: 300...1_700))) }
            if alive { alive = await session.isOpen() }
        }
        if await session.isOpen() {
            if Int.random(in: 0..<4) == 0 {
                await session.abort()
                tally.add("abrupt disconnects")
            } else {
                await session.close()
                tally.add("polite disconnects")
            }
            return
        }
        switch try? await session.ended.get() {
        case .byConnection(.peerClosed(let code, _)) where code == .terminated:
            tally.add("closed by admin (TERMINATED)")
        case .byConnection(.peerClosed(let code, _)) where code == .tokenRevoked:
            tally.add("closed by revocation (TOKEN_REVOKED)")
        case .byConnection(let reason):
            tally.add("unexpected close \(reason.code.name)")
        case .dropped:
            tally.add("unexpected close without CLOSE")
        case .byClient, nil:
            break
        }
    }

    /// Four echo commands of 32 KiB each on the control stream; waits for all the replies.
    private func bulkBurst(_ session: ChurnSession, ensure: (UInt32) async -> Bool, tally: Tally) async -> Bool {
        guard await ensure(2) else { return false }
        let before = await session.received(stream: 2)
        let text = "echo " + String(repeating: "z", count: 32 * 1024)
        for _ in 0..<4 {
            guard await session.send(stream: 2, Array(text.utf8)) else { return false }
        }
        let deadline = now() + 20
        while await session.received(stream: 2) < before + 4 * 32 * 1024 {
            guard await session.isOpen() else { return false }
            if now() > deadline {
                tally.add("unexpected bulk burst timeout")
                return true
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        tally.add("bulk bursts")
        return true
    }

    /// Connects, sends part of (or all of) a CLIENT_HELLO, and goes away.
    private func abandonHandshake(source: String, port: Int, tally: Tally) async {
        let hello = FrameHeader(type: .clientHello, streamID: 0, sequence: 0, length: 32).bytes + X25519.KeyPair().publicKey
        let cut = Int.random(in: 0...hello.count)
        let sent = (try? await onThread { try sendAndClose(Array(hello.prefix(cut)), from: source, port: port) }) != nil
        tally.add(sent ? "abandoned handshakes" : "unexpected connect failure")
    }

    /// The server's figures now: /proc for memory, fds and threads; /metrics for the registry.
    private func sample(server: ChildProcess, api: API, at t: Double, tally: Tally) throws -> Sample {
        let pid = server.pid
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> Int {
            for line in status.split(separator: "\n") where line.hasPrefix(name) {
                // "VmRSS:\t  1234 kB", "Threads:\t7": the first number after the name.
                return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
            }
            return 0
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
        let metrics = try HTTPProbe.getBlocking(port: api.port, path: "/metrics", bearer: nil)
        guard metrics.status == 200 else { throw BenchError("/metrics answered \(metrics.status)") }
        let text = String(decoding: metrics.body, as: UTF8.self)
        return Sample(t: t, rssBytes: field("VmRSS:") * 1024, rssAnonBytes: field("RssAnon:") * 1024,
                      heapInUseBytes: Int(API.metric("ztp_heap_in_use_bytes", in: text) ?? -1),
                      heapFreeBytes: Int(API.metric("ztp_heap_free_bytes", in: text) ?? -1),
                      fds: fds, threads: field("Threads:"),
                      sessions: Int(API.metric("ztp_sessions_active", in: text) ?? -1),
                      streams: Int(API.metric("ztp_streams_active", in: text) ?? -1), clientSessions: tally.liveSessions)
    }
}

/// The management API calls the soak makes.
struct API: Sendable {
    let port: Int
    let key: String

    func issueToken(client: String) async throws -> (jti: String, token: String) {
        let response = try await HTTPProbe.request("POST", port: port, path: "/v1/tokens", bearer: key,
                                                   json: #"{"client_id":"\#(client)","role":"user","ttl_seconds":86400}"#)
        guard response.status == 201,
              let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let jti = object["jti"] as? String, let token = object["token"] as? String else {
            throw BenchError("POST /v1/tokens answered \(response.status)")
        }
        return (jti, token)
    }

    func sessionIDs() async throws -> [String] {
        let response = try await HTTPProbe.request("GET", port: port, path: "/v1/sessions?limit=1000", bearer: key)
        guard response.status == 200,
              let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let sessions = object["sessions"] as? [[String: Any]] else {
            throw BenchError("GET /v1/sessions answered \(response.status)")
        }
        return sessions.compactMap { $0["id"] as? String }
    }

    func terminate(session id: String) async throws -> Int {
        try await HTTPProbe.request("DELETE", port: port, path: "/v1/sessions/\(id)", bearer: key).status
    }

    func revoke(jti: String) async throws -> Int {
        try await HTTPProbe.request("DELETE", port: port, path: "/v1/tokens/\(jti)", bearer: key).status
    }

    /// A labelled counter's values by one label, as the server counted them (e.g.
    /// `ztp_sessions_closed_total` by `reason`).
    func counter(_ name: String, by label: String) async throws -> [String: Double] {
        let text = String(decoding: try await HTTPProbe.request("GET", port: port, path: "/metrics", bearer: nil).body, as: UTF8.self)
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") {
            guard let open = line.range(of: label + "=\""), let close = line[open.upperBound...].firstIndex(of: "\""),
                  let value = Double(line.split(separator: " ").last ?? "") else { continue }
            values[String(line[open.upperBound..<close]), default: 0] += value
        }
        return values
    }

    /// The value of an unlabelled metric in Prometheus text.
    static func metric(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }
}

/// A blocking TCP connection from `source` that writes `bytes` and closes.
private func sendAndClose(_ bytes: [UInt8], from source: String, port: Int) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BenchError("socket: \(errno)") }
    defer { close(fd) }
    var local = sockaddr_in()
    local.sin_family = sa_family_t(AF_INET)
    inet_pton(AF_INET, source, &local.sin_addr)
    var remote = sockaddr_in.loopback(port: port)
    let ok = withUnsafePointer(to: &local) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0 && withUnsafePointer(to: &remote) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
    guard ok else { throw BenchError("connect from \(source): \(errno)") }
    if !bytes.isEmpty {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
