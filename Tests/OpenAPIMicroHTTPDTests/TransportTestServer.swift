import Foundation
import Synchronization
@testable import ZTPManagement

/// Records what the daemon's observer hook reports.
final class HTTPObservations: Sendable {
    /// One observer call.
    struct Entry: Equatable {
        let method: String
        let route: String
        let status: Int
    }

    private let entries = Mutex<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }

    var observer: HTTPDaemon.Observer {
        { method, route, status, seconds in
            precondition(seconds >= 0)
            self.entries.withLock { $0.append(Entry(method: method, route: route, status: status)) }
        }
    }
}

/// Thrown by a test route; its text must never reach a client.
struct HTTPTestSecretFailure: Error, CustomStringConvertible {
    var description: String { "database at /var/lib/secret.sqlite is corrupt" }
}

/// The JSON body the echo route accepts.
struct HTTPTestEchoBody: Codable, Equatable {
    let name: String
    let count: Int
}

/// A daemon on 127.0.0.1, port 0, with routes exercising each feature of the HTTP layer.
struct HTTPTestServer {
    let daemon: HTTPDaemon
    let observations = HTTPObservations()
    let publicDirectory: String

    var port: Int { daemon.port }

    init(bodyLimit: Int = 1024) throws {
        publicDirectory = NSTemporaryDirectory() + "ztp-http-\(UUID().uuidString)"
        let files = publicDirectory + "/Public"
        try FileManager.default.createDirectory(atPath: files + "/js", withIntermediateDirectories: true)
        try Data("<h1>hi</h1>".utf8).write(to: URL(fileURLWithPath: files + "/index.html"))
        try Data("let x = 1;".utf8).write(to: URL(fileURLWithPath: files + "/js/app.js"))
        try Data("top secret".utf8).write(to: URL(fileURLWithPath: publicDirectory + "/secret.txt"))
        let staticFiles = StaticFiles(directory: files)

        var router = Router()
        router.get("/v1/sessions/{id}/streams/{stream_id}") { request in
            .json([
                "id": request.pathParameters["id"] ?? "",
                "stream_id": request.pathParameters["stream_id"] ?? "",
                "q": request.query["q"] ?? "",
                "remote": request.remoteAddress,
            ])
        }
        router.delete("/v1/sessions/{id}") { _ in .noContent }
        router.get("/v1/sessions/{id}") { request in .text("session \(request.pathParameters["id"] ?? "")") }
        router.post("/v1/echo") { request in
            try .json(request.decodeJSON(HTTPTestEchoBody.self), status: 201)
        }
        router.post("/v1/upload") { request in .text("\(request.body.count)") }
        router.get("/v1/fail") { _ in throw HTTPTestSecretFailure() }
        router.get("/v1/private") { _ in throw HTTPError.unauthorized("a bearer token is required") }
        router.get("/ui/{path...}", handler: staticFiles.handler())

        daemon = try HTTPDaemon(
            configuration: .init(host: "127.0.0.1", port: 0, bodyLimit: bodyLimit),
            router: router,
            observer: observations.observer
        )
    }

    func request(
        _ method: String,
        _ target: String,
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) throws -> HTTPTestResponse {
        try HTTPTestConnection.request(method, target, port: port, headers: headers, body: body)
    }

    func stop() {
        daemon.stop()
        try? FileManager.default.removeItem(atPath: publicDirectory)
    }
}
