import Foundation
import Testing
import ZTPClient
import ZTPCore
import ZTPTestSupport

extension ManagementAPITests {
    /// `/metrics` as Prometheus reads it, and its counters following real traffic.
    @Suite("Management API: metrics")
    struct Metrics {
        @Test("the Prometheus line reader accepts the format and rejects what Prometheus rejects")
        func parser() throws {
            let good = """
                # HELP a_total Things.
                # TYPE a_total counter
                a_total{kind="x",path="C:\\\\dir \\"q\\"\\n"} 3
                a_total{kind="y"} 4 1700000000000
                # TYPE h histogram
                h_bucket{le="0.5"} 1
                h_bucket{le="+Inf"} 2
                h_sum 0.75
                h_count 2
                # a comment
                g NaN
                i -Inf

                """
            let parsed = try ManagementAPIPrometheus(parsing: good)
            #expect(parsed.value("a_total") == 7)
            #expect(parsed.value("a_total", ["kind": "y"]) == 4)
            #expect(parsed.samples[0].labels["path"] == "C:\\dir \"q\"\n")
            #expect(parsed.value("h_bucket", ["le": "+Inf"]) == 2)
            #expect(parsed.types == ["a_total": "counter", "h": "histogram"])
            #expect(parsed.value("i") == -.infinity)
            let bad = [
                "1abc 1", "a{b=\"1\"", "a{b=1} 1", "a{1b=\"x\"} 1", "a{b=\"x\",b=\"y\"} 1", "a", "a one",
                "a{b=\"\\t\"} 1", "# TYPE a countr", "# TYPE a counter\n# TYPE a counter",
                "a 1\nb 1\na 2", "a 1\n# TYPE a counter", "a 1 later",
            ]
            for text in bad {
                #expect(throws: ManagementAPIPrometheus.ParseError.self, "\(text)") {
                    try ManagementAPIPrometheus(parsing: text)
                }
            }
        }

        @Test("/metrics parses as Prometheus text, has the promised families and no id labels")
        func exposition() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            // Something in every family that only appears once recorded into.
            let issued = try await server.issueToken(clientID: "alice")
            let client = try await server.connect(token: try #require(issued["token"].string))
            let control = try await client.openStream(2)
            try await control.send("ping")
            _ = try await managementAPIReceive(control)

            let response = try await server.request("GET", "/metrics", key: nil)
            #expect(response.status == 200)
            #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
            #expect(response.headers["content-type"]?.contains("version=0.0.4") == true)
            let metrics = try ManagementAPIPrometheus(parsing: response.text)
            for (family, type) in [
                ("ztp_sessions_active", "gauge"), ("ztp_sessions_opened_total", "counter"),
                ("ztp_handshakes_total", "counter"), ("ztp_handshake_duration_seconds", "histogram"),
                ("ztp_streams_active", "gauge"), ("ztp_streams_opened_total", "counter"),
                ("ztp_frames_total", "counter"), ("ztp_bytes_total", "counter"),
                ("ztp_tokens_issued_total", "counter"),
                ("ztp_http_requests_total", "counter"), ("ztp_http_request_duration_seconds", "histogram"),
                ("process_cpu_seconds_total", "counter"), ("process_resident_memory_bytes", "gauge"),
                ("process_open_fds", "gauge"), ("process_start_time_seconds", "gauge"),
                ("ztp_heap_in_use_bytes", "gauge"), ("ztp_heap_free_bytes", "gauge"),
            ] {
                #expect(metrics.types[family] == type, "\(family) is a \(type)")
            }
            #expect(metrics.value("ztp_sessions_active") == 1)
            #expect(metrics.value("ztp_streams_active") == 1)
            #expect(metrics.value("ztp_handshake_duration_seconds_count") == 1)
            #expect(metrics.value("ztp_handshake_duration_seconds_bucket", ["le": "+Inf"]) == 1)
            #expect((metrics.value("process_resident_memory_bytes") ?? 0) > 0)
            #expect((metrics.value("process_open_fds") ?? 0) > 0)
            // A running server's heap in use is megabytes (in bytes, not kB), not gigabytes.
            let inUse = try #require(metrics.value("ztp_heap_in_use_bytes"))
            #expect(Sanitizer.thread || (inUse > 1_000_000 && inUse < 1_000_000_000), "\(inUse)")
            #expect((metrics.value("ztp_heap_free_bytes") ?? -1) >= 0)
            let started = try #require(metrics.value("process_start_time_seconds"))
            #expect(abs(started - Date().timeIntervalSince1970) < 120)
            // "No client id or session id as a label."
            #expect(metrics.labelNames.isSubset(of: ["result", "direction", "reason", "kind", "route", "method",
                                                     "status", "le", "quantile"]),
                    "labels: \(metrics.labelNames.sorted())")
            let values = Set(metrics.samples.flatMap { $0.labels.values })
            #expect(!values.contains("alice"))
            #expect(!values.contains(client.sessionID))
            #expect(!values.contains(try #require(issued["jti"].string)))
            await client.close()
        }

        @Test("handshake, frame, byte and HTTP request counters move with traffic")
        func countersMove() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let token = try #require(try await server.issueToken(clientID: "alice")["token"].string)
            let before = try await server.metrics()
            let ok = before.value("ztp_handshakes_total", ["result": "ok"]) ?? 0
            let framesIn = before.value("ztp_frames_total", ["direction": "in"]) ?? 0
            let framesOut = before.value("ztp_frames_total", ["direction": "out"]) ?? 0
            let bytesIn = before.value("ztp_bytes_total", ["direction": "in"]) ?? 0
            let healthz = before.value("ztp_http_requests_total", ["route": "/healthz", "method": "GET", "status": "200"]) ?? 0

            let client = try await server.connect(token: token)
            let control = try await client.openStream(2)
            for _ in 0..<5 {
                try await control.send("echo " + String(repeating: "m", count: 500))
                _ = try await managementAPIReceive(control)
            }
            _ = try await server.refusal(token: "garbage")
            for _ in 0..<3 { #expect(try await server.request("GET", "/healthz", key: nil).status == 200) }

            var after = try await server.metrics()
            #expect(await managementAPIEventually {
                after = try await server.metrics()
                return (after.value("ztp_frames_total", ["direction": "in"]) ?? 0) >= framesIn + 6
                    && (after.value("ztp_frames_total", ["direction": "out"]) ?? 0) >= framesOut + 5
            }, "6 DATA in (open + 5 messages), 5 replies out")
            #expect(after.value("ztp_handshakes_total", ["result": "ok"]) == ok + 1)
            #expect(after.value("ztp_handshakes_total", ["result": "auth_failed"]) == 1)
            #expect((after.value("ztp_bytes_total", ["direction": "in"]) ?? 0) >= bytesIn + 2500)
            #expect((after.value("ztp_bytes_total", ["direction": "out"]) ?? 0) >= 2500)
            #expect(after.value("ztp_sessions_opened_total") == 1)
            #expect(after.value("ztp_streams_opened_total") == 1)
            #expect(after.value("ztp_http_requests_total", ["route": "/healthz", "method": "GET", "status": "200"]) == healthz + 3)
            #expect(after.value("ztp_http_requests_total", ["route": "/metrics", "method": "GET", "status": "200"]) ?? 0 >= 2,
                    "earlier scrapes are counted")
            #expect((after.value("ztp_http_request_duration_seconds_count", ["route": "/healthz", "method": "GET"]) ?? 0)
                >= healthz + 3)

            await client.close()
            var last = after
            #expect(await managementAPIEventually {
                last = try await server.metrics()
                return last.value("ztp_sessions_active") == 0 && last.value("ztp_streams_active") == 0
                    && last.value("ztp_sessions_closed_total", ["reason": "normal"]) == 1
                    // The control stream ended with the session, under the session's code.
                    && last.value("ztp_streams_closed_total", ["reason": "normal"]) == 1
            }, "gauges fall back when the client leaves: \(last.samples.filter { $0.name.hasPrefix("ztp_s") })")
        }
    }
}
