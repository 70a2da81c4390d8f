import Foundation
import HTTPTypes
@_spi(Generated) import OpenAPIRuntime
import Testing
@testable import OpenAPIMicroHTTPD
import ZTPTestSupport

/// Every suite that runs a transport on loopback. Serialized (nested suites inherit it): the
/// timing checks compare overlap, and on a two-core machine other tests' servers would only
/// blur them.
@Suite(.serialized)
enum TransportTests {}

/// Records what the transport's observer reports (the answers it makes itself).
final class TransportObservations: Sendable {
    /// One observer call.
    struct Entry: Equatable {
        let method: String
        let route: String
        let status: Int
    }

    private let entries = LockedBox<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }

    var observer: MicroHTTPDTransport.Observer {
        { method, route, status, elapsed in
            precondition(elapsed >= .zero)
            self.entries.withLock { $0.append(Entry(method: method, route: route, status: status)) }
        }
    }
}

/// Thrown by a test route; its text must never reach a client.
struct TransportTestSecretFailure: Error, CustomStringConvertible {
    var description: String { "database at /var/lib/secret.sqlite is corrupt" }
}

/// The handler type the generated `registerHandlers` passes to `ServerTransport.register`.
typealias TransportHandler = @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)

/// A transport on 127.0.0.1, port 0, with handlers registered the way generated code does,
/// exercising each feature of the transport; tests add their own with `routes`.
struct TransportTestServer {
    let transport: MicroHTTPDTransport
    let observations = TransportObservations()

    var port: Int { transport.port }

    init(
        configuration: MicroHTTPDTransport.Configuration = .init(bodyLimit: 1024),
        routes: [(HTTPRequest.Method, String, TransportHandler)] = []
    ) throws {
        transport = MicroHTTPDTransport(configuration: configuration, observer: observations.observer)
        // Decoded as the generated code decodes them: path parameters and query items through
        // the runtime's converter, from what the transport hands over.
        let converter = Converter(configuration: .init())
        try transport.register({ request, _, metadata in
            let context = MicroHTTPDRequestContext.current
            let answer: [String: String] = try [
                "id": converter.getPathParameterAsURI(in: metadata.pathParameters, name: "id", as: String.self),
                "stream_id": converter.getPathParameterAsURI(in: metadata.pathParameters, name: "stream_id", as: String.self),
                "q": (converter.getOptionalQueryItemAsURI(in: request.soar_query, style: .form, explode: true,
                                                           name: "q", as: [String].self) ?? []).joined(separator: "|"),
                "remote": context?.remoteAddress ?? "no context",
                "route": context?.routeTemplate ?? "no context",
            ]
            return Self.json(answer)
        }, method: .get, path: "/v1/sessions/{id}/streams/{stream_id}")
        try transport.register({ _, _, _ in (HTTPResponse(status: .noContent), nil) },
                               method: .delete, path: "/v1/sessions/{id}")
        try transport.register({ _, _, metadata in
            let id = try converter.getPathParameterAsURI(in: metadata.pathParameters, name: "id", as: String.self)
            return Self.text("session \(id)")
        }, method: .get, path: "/v1/sessions/{id}")
        // What the handler received as its body: "nil", or its length and bytes echoed.
        let describeBody: TransportHandler = { _, body, _ in
            guard let body else { return Self.text("nil") }
            let bytes = try await [UInt8](collecting: body, upTo: .max)
            var response = HTTPResponse(status: .ok)
            response.headerFields[.contentType] = "application/octet-stream"
            response.headerFields[HTTPField.Name("X-Body-Length")!] = "\(bytes.count)"
            return (response, HTTPBody(bytes))
        }
        try transport.register(describeBody, method: .post, path: "/v1/upload")
        try transport.register(describeBody, method: .get, path: "/v1/upload")
        try transport.register({ _, _, _ in throw TransportTestSecretFailure() }, method: .get, path: "/v1/fail")
        try transport.register({ _, _, _ in throw HTTPError.unauthorized("a bearer token is required") },
                               method: .get, path: "/v1/private")
        for (method, path, handler) in routes {
            try transport.register(handler, method: method, path: path)
        }
        try transport.start()
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> (HTTPResponse, HTTPBody?) {
        var response = HTTPResponse(status: status)
        response.headerFields[.contentType] = "text/plain"
        return (response, HTTPBody(text))
    }

    static func json(_ value: [String: String]) -> (HTTPResponse, HTTPBody?) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var response = HTTPResponse(status: .ok)
        response.headerFields[.contentType] = "application/json"
        return (response, HTTPBody((try? encoder.encode(value)).map(Array.init) ?? []))
    }

    /// One request over a new connection, off the cooperative pool.
    func request(
        _ method: String,
        _ target: String,
        headers: [String: String] = [:],
        body: [UInt8] = []
    ) async throws -> HTTPTestResponse {
        let port = port
        return try await offPool {
            try HTTPTestConnection.request(method, target, port: port, headers: headers, body: body)
        }
    }

    func stop() {
        transport.stop()
    }
}

/// Polls `condition` for up to `seconds`: the daemon frees contexts on its own threads.
func waitUntil(seconds: Int = 5, _ what: String = "condition", _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + TestTime.scaled(.seconds(seconds))
    while !condition() {
        guard ContinuousClock.now < deadline else {
            throw HTTPTestConnection.Failure(description: "\(what) not met within \(seconds) s")
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
