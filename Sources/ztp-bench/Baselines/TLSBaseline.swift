import Foundation

/// TLS 1.3 with TLS_CHACHA20_POLY1305_SHA256 through OpenSSL: what users would otherwise put
/// in front of a plain TCP service.
enum TLSBaseline {
    static let suite = "TLS_CHACHA20_POLY1305_SHA256"

    /// An Ed25519 self-signed certificate and key in the scratch directory (made once).
    static func certificate(_ context: BenchContext) async throws -> (cert: String, key: String) {
        let cert = (context.scratch as NSString).appendingPathComponent("tls-cert.pem")
        let key = (context.scratch as NSString).appendingPathComponent("tls-key.pem")
        if FileManager.default.fileExists(atPath: cert) { return (cert, key) }
        let openssl = try ChildProcess(name: "openssl-req", executable: "/usr/bin/env",
                                       arguments: ["openssl", "req", "-x509", "-newkey", "ed25519", "-keyout", key, "-out", cert,
                                                   "-days", "2", "-nodes", "-subj", "/CN=ztp-bench"],
                                       logDirectory: context.scratch)
        guard try await openssl.waitForExit(timeout: 30) == 0 else {
            throw BenchError("openssl req failed: \(ChildProcess.tail(openssl.logPath))")
        }
        return (cert, key)
    }

    /// MB/s of one bulk transfer by `scripts/tls_bulk.py` (server and client in two processes).
    static func bulkMegabytesPerSecond(_ context: BenchContext, direction: String, bytes: Int) async throws -> Double {
        let (cert, key) = try await certificate(context)
        let script = (context.scriptsDirectory as NSString).appendingPathComponent("tls_bulk.py")
        let python = try ChildProcess(name: "tls-bulk-\(direction)", executable: "/usr/bin/env",
                                      arguments: ["python3", script, "--direction", direction, "--bytes", String(bytes),
                                                  "--chunk", String(BulkScenario.chunkSize), "--cert", cert, "--key", key],
                                      logDirectory: context.scratch)
        guard let rate = try await result(of: python, "tls_bulk.py")["mb_per_s"] as? Double else {
            throw BenchError("tls_bulk.py printed no rate")
        }
        return rate
    }

    /// The JSON object a baseline's client prints as its last line once it has exited, checked
    /// to report TLS 1.3 with `suite`; anything else fails with the child's output and log.
    static func result(of child: ChildProcess, _ name: String) async throws -> [String: Any] {
        let output = await child.readAllOutput()
        guard try await child.waitForExit(timeout: 600) == 0, let line = output.split(separator: "\n").last,
              let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
              object["cipher"] as? String == suite, object["version"] as? String == "TLSv1.3" else {
            throw BenchError("\(name) failed: \(output) \(ChildProcess.tail(child.logPath))")
        }
        return object
    }

    /// Server CPU microseconds per full TLS 1.3 handshake: `openssl s_server` (Ed25519
    /// certificate, X25519 only, no session tickets) driven by `openssl s_time -new`.
    static func handshakeMicroseconds(_ context: BenchContext, seconds: Int) async throws -> Double {
        let (cert, key) = try await certificate(context)
        let port = try Loopback.freePort()
        let server = try ChildProcess(name: "openssl-s_server", executable: "/usr/bin/env",
                                      arguments: ["openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", cert, "-key", key,
                                                  "-tls1_3", "-ciphersuites", suite, "-groups", "X25519", "-num_tickets", "0", "-quiet"],
                                      logDirectory: context.scratch)
        defer { server.stop() }
        try await Loopback.waitForListener(port: port)
        // s_server is a child of /usr/bin/env, which execs it: the pid is s_server's.
        let before = try server.stats()
        let client = try ChildProcess(name: "openssl-s_time", executable: "/usr/bin/env",
                                      arguments: ["openssl", "s_time", "-connect", "127.0.0.1:\(port)", "-new", "-time", String(seconds),
                                                  "-ciphersuites", suite],
                                      logDirectory: context.scratch)
        let output = await client.readAllOutput()
        _ = try await client.waitForExit(timeout: Double(seconds) + 60)
        let after = try server.stats()
        // "1234 connections in 2.50s; ..." (the first such line counts the full handshakes).
        guard let line = output.split(separator: "\n").first(where: { $0.contains(" connections in ") }),
              let count = Int(line.split(separator: " ").first ?? ""), count > 0 else {
            throw BenchError("cannot read s_time's output: \(output)")
        }
        return (after.cpuSeconds - before.cpuSeconds) / Double(count) * 1e6
    }
}
