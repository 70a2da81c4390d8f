import Foundation
import Testing
import ZTPClient
import ZTPCore
import ZTPTestSupport

extension ManagementAPITests {
    /// Live sessions as the API shows them, and ending sessions and streams through it.
    @Suite("Management API: sessions")
    struct Sessions {
        static let sessionKeys: Set<String> = [
            "id", "client_id", "role", "token_jti", "remote_address", "connected_at", "last_activity_at",
            "bytes_in", "bytes_out", "frames_in", "frames_out", "streams_open", "key_epoch", "node",
        ]
        static let streamKeys: Set<String> = [
            "id", "kind", "opened_at", "last_activity_at", "bytes_in", "bytes_out", "frames_in", "frames_out",
            "send_window", "receive_window",
        ]

        @Test("alone on its store, a server is a fleet of one: /v1/nodes lists it up with its sessions, and sessions name it")
        func fleetOfOne() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let issued = try await server.issueToken(clientID: "alice", role: "user")
            let client = try await server.connect(token: try #require(issued["token"].string))
            let nodes = try await server.getJSON("/v1/nodes")["nodes"]
            #expect(nodes.array.count == 1)
            let node = nodes[0]
            #expect(node["self"].bool == true)
            #expect(node["state"].string == "up")
            #expect(node["sessions"].int == 1)
            #expect(node["version"].string?.isEmpty == false)
            let nodeID = try #require(node["id"].string)
            #expect(try await server.getJSON("/v1/sessions")["sessions"][0]["node"].string == nodeID)
            #expect(try await server.getJSON("/v1/sessions?node=\(nodeID)")["total"].int == 1)
            #expect(try await server.getJSON("/v1/sessions?node=elsewhere")["total"].int == 0)
            await client.close()
        }

        @Test("a token issued over HTTP lets a real client in; its session is listed with live counters and streams")
        func issuedTokenSessionListed() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let issued = try await server.issueToken(clientID: "alice", role: "user")
            #expect(issued.keys == ["token", "jti", "client_id", "role", "issued_at", "expires_at"])
            let jti = try #require(issued["jti"].string)
            let client = try await server.connect(token: try #require(issued["token"].string))
            #expect(client.session.clientID == "alice")
            #expect(client.session.role == "user")
            let chat = try await client.openStream(1)
            let control = try await client.openStream(2)
            try await control.send("ping")
            #expect(try await managementAPIReceive(control) == "pong")

            let list = try await server.getJSON("/v1/sessions")
            #expect(list["total"].int == 1)
            #expect(list["offset"].int == 0)
            #expect(list["limit"].int == 100)
            let listed = list["sessions"][0]
            #expect(listed.keys == Self.sessionKeys, "the listing has no streams member")
            #expect(listed["id"].string == client.sessionID)
            #expect(listed["client_id"].string == "alice")
            #expect(listed["role"].string == "user")
            #expect(listed["token_jti"].string == jti)
            // With its port: two clients behind one address are two rows that can be told apart.
            let clientEnd = try #require(try SocketProbe.endpoints(remotePort: server.ztpPort, pid: getpid()).first)
            #expect(listed["remote_address"].string == "127.0.0.1:\(clientEnd.localPort)")
            #expect(listed["key_epoch"].int == 0)
            let connectedAt = try #require(listed["connected_at"].date)
            #expect(abs(connectedAt.timeIntervalSinceNow) < 60)
            #expect(try #require(listed["last_activity_at"].date) >= connectedAt)

            // The streams are published once the server has handled the opening DATA frames.
            var detail = try await server.getJSON("/v1/sessions/\(client.sessionID)")
            #expect(await managementAPIEventually {
                detail = try await server.getJSON("/v1/sessions/\(client.sessionID)")
                return detail["streams_open"].int == 2
            })
            #expect(detail.keys == Self.sessionKeys.union(["streams"]))
            let streams = detail["streams"].array
            #expect(streams.map { $0["id"].int } == [1, 2])
            #expect(streams.map { $0["kind"].string } == ["chat", "control"])
            for stream in streams {
                #expect(stream.keys == Self.streamKeys)
                #expect((stream["send_window"].int ?? 0) > 0)
                #expect((stream["receive_window"].int ?? 0) > 0)
                #expect(stream["opened_at"].date != nil)
            }
            let control1 = streams[1]
            #expect((control1["frames_in"].int ?? 0) >= 1, "the ping")
            #expect((control1["frames_out"].int ?? 0) >= 1, "the pong")
            #expect((control1["bytes_in"].int ?? 0) >= 4)

            // Counters grow with traffic.
            let before = detail
            for _ in 0..<3 {
                try await control.send("echo \(String(repeating: "x", count: 1000))")
                _ = try await managementAPIReceive(control)
            }
            try await chat.send("hello")
            #expect(try await managementAPIReceive(chat) == "ok: delivered to 0")
            #expect(await managementAPIEventually {
                let after = try await server.getJSON("/v1/sessions/\(client.sessionID)")
                let grew = ["bytes_in", "bytes_out", "frames_in", "frames_out"].allSatisfy { key in
                    (after[key].int ?? 0) > (before[key].int ?? 0)
                }
                let controlGrew = (after["streams"][1]["bytes_in"].int ?? 0) >= (before["streams"][1]["bytes_in"].int ?? 0) + 3000
                let chatGrew = (after["streams"][0]["frames_in"].int ?? 0) > (before["streams"][0]["frames_in"].int ?? 0)
                let newer = (after["last_activity_at"].date ?? .distantPast) >= (before["last_activity_at"].date ?? .distantFuture)
                return grew && controlGrew && chatGrew && newer
            }, "bytes and frames each way grow after traffic, on the session and on its streams")
            await client.close()
            #expect(await managementAPIEventually { try await server.getJSON("/v1/sessions")["total"].int == 0 },
                    "a closed session leaves the listing")
        }

        @Test("DELETE /v1/sessions/{id} answers 204 and the client receives CLOSE(TERMINATED)")
        func terminateSession() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let issued = try await server.issueToken(clientID: "bob", role: "observer")
            let client = try await server.connect(token: try #require(issued["token"].string))
            let id = client.sessionID

            let response = try await server.request("DELETE", "/v1/sessions/\(id)")
            #expect(response.status == 204)
            #expect(response.body.isEmpty)
            let reason = try await managementAPIWithin(5, "the session to end") { await client.closed() }
            #expect(reason.code == .closedByServer(.terminated))

            #expect(await managementAPIEventually { try await server.request("GET", "/v1/sessions/\(id)").status == 404 })
            let again = try await server.request("DELETE", "/v1/sessions/\(id)")
            #expect(again.status == 404)
            #expect(again.problem?.status == 404)
            let audit = try await server.getJSON("/v1/audit")
            let terminated = audit["events"].array.filter { $0["action"].string == "session.terminated" }
            #expect(terminated.count == 1)
            #expect(terminated.first?["actor"].string == "admin-api")
            #expect(terminated.first?["detail"].string?.contains(id) == true)
            let metrics = try await server.metrics()
            #expect(metrics.value("ztp_sessions_closed_total", ["reason": "terminated"]) == 1)
        }

        @Test("DELETE of a stream answers 204 and closes only that stream, with TERMINATED")
        func closeStream() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            let issued = try await server.issueToken(clientID: "carol", role: "user")
            let client = try await server.connect(token: try #require(issued["token"].string))
            let chat = try await client.openStream(1)
            let control = try await client.openStream(2)
            try await control.send("ping")
            #expect(try await managementAPIReceive(control) == "pong")
            let id = client.sessionID

            let response = try await server.request("DELETE", "/v1/sessions/\(id)/streams/2")
            #expect(response.status == 204)
            let ending = try await managementAPIWithin(5, "stream 2 to close") { () -> ZTPClientError? in
                do {
                    for try await _ in control {}
                    return nil
                } catch let error as ZTPClientError {
                    return error
                }
            }
            #expect(ending?.code == .streamClosed(.terminated))

            // The session and its other stream carry on.
            try await chat.send("still here")
            #expect(try await managementAPIReceive(chat) == "ok: delivered to 0")
            let detail = try await server.getJSON("/v1/sessions/\(id)")
            #expect(detail["streams_open"].int == 1)
            #expect(detail["streams"].array.map { $0["id"].int } == [1])

            // A stream that is not open, an invalid stream id, an unknown session.
            #expect(try await server.request("DELETE", "/v1/sessions/\(id)/streams/2").status == 404)
            #expect(try await server.request("DELETE", "/v1/sessions/\(id)/streams/7").status == 404)
            for bad in ["0", "abc", "-1", "2147483648", "1.5"] {
                let invalid = try await server.request("DELETE", "/v1/sessions/\(id)/streams/\(bad)")
                #expect(invalid.status == 400, "stream_id \(bad)")
                #expect(invalid.headers["content-type"] == "application/problem+json")
                #expect(invalid.problem?.detail.contains("stream_id") == true)
            }
            #expect(try await server.request("DELETE", "/v1/sessions/ffffffffffffffffffffffffffffffff/streams/1").status == 404)
            await client.close()
        }

        @Test("sessions filter by client_id and role, sort by each key both ways, and page")
        func listingFiltersSortsPages() async throws {
            let server = try await ManagementAPIServer()
            defer { server.stopInBackground() }
            // alice: streams 1 and 2 and a large echo; bob: stream 2; carol (observer): none.
            var clients: [String: ZTPClient] = [:]
            for (name, role) in [("alice", "user"), ("bob", "user"), ("carol", "observer")] {
                let issued = try await server.issueToken(clientID: name, role: role)
                clients[name] = try await server.connect(token: try #require(issued["token"].string))
                try await Task.sleep(for: .milliseconds(20))
            }
            let alice = try #require(clients["alice"]), bob = try #require(clients["bob"]), carol = try #require(clients["carol"])
            _ = try await alice.openStream(1)
            let aliceControl = try await alice.openStream(2)
            try await aliceControl.send("echo " + String(repeating: "a", count: 20_000))
            _ = try await managementAPIReceive(aliceControl)
            try await Task.sleep(for: .milliseconds(20))
            let bobControl = try await bob.openStream(2)
            try await bobControl.send("ping")
            #expect(try await managementAPIReceive(bobControl) == "pong")
            // Wait until every session has published its streams.
            #expect(await managementAPIEventually {
                let listed = try await server.getJSON("/v1/sessions?sort=streams&order=desc")["sessions"].array
                return listed.map { $0["streams_open"].int } == [2, 1, 0]
            })

            func ids(_ query: String) async throws -> [String] {
                try await server.getJSON("/v1/sessions?\(query)")["sessions"].array.compactMap { $0["client_id"].string }
            }
            #expect(try await ids("") == ["alice", "bob", "carol"], "default: connected_at ascending")
            #expect(try await ids("sort=connected_at&order=desc") == ["carol", "bob", "alice"])
            #expect(try await ids("sort=streams") == ["carol", "bob", "alice"])
            #expect(try await ids("sort=streams&order=desc") == ["alice", "bob", "carol"])
            #expect(try await ids("sort=bytes_in&order=desc").first == "alice")
            #expect(try await ids("sort=bytes_out&order=desc").first == "alice")
            #expect(try await ids("sort=bytes_in&order=asc").first == "carol")
            #expect(try await ids("sort=last_activity&order=desc").first == "bob")
            #expect(try await ids("sort=last_activity&order=asc").first == "carol")

            #expect(try await ids("client_id=bob") == ["bob"])
            #expect(try await ids("client_id=nobody") == [])
            #expect(try await ids("role=user") == ["alice", "bob"])
            #expect(try await ids("role=observer") == ["carol"])
            #expect(try await ids("role=user&client_id=carol") == [])

            let page = try await server.getJSON("/v1/sessions?limit=1&offset=1")
            #expect(page["total"].int == 3)
            #expect(page["limit"].int == 1)
            #expect(page["offset"].int == 1)
            #expect(page["sessions"].array.map { $0["client_id"].string } == ["bob"])
            let past = try await server.getJSON("/v1/sessions?offset=5")
            #expect(past["total"].int == 3)
            #expect(past["sessions"].array.isEmpty)
            let filteredPage = try await server.getJSON("/v1/sessions?role=user&limit=1&order=desc")
            #expect(filteredPage["total"].int == 2, "total counts every match, not the page")
            #expect(filteredPage["sessions"].array.map { $0["client_id"].string } == ["bob"])

            for bad in ["sort=client_id", "sort=", "order=up", "limit=0", "limit=1001", "limit=x", "offset=-1",
                        "offset=2147483648"] {
                let response = try await server.request("GET", "/v1/sessions?\(bad)")
                #expect(response.status == 400, "\(bad)")
                #expect(response.problem?.status == 400)
                let name = String(bad.prefix { $0 != "=" })
                #expect(response.problem?.detail.contains(name) == true, "the detail names '\(name)'")
            }
            for client in [alice, bob, carol] { await client.close() }
        }
    }
}
