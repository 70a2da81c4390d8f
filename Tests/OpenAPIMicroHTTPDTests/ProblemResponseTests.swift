import Foundation
import Testing
@testable import ZTPManagement

/// JSON responses, problem details and JSON request bodies.
@Suite("HTTP JSON coding")
struct HTTPBodyCodingTests {
    /// A model with snake_case keys of its own and a date.
    struct Model: Codable, Equatable {
        let sessionID: String
        let createdAt: Date
        let tags: [String]

        enum CodingKeys: String, CodingKey {
            case sessionID = "session_id"
            case createdAt = "created_at"
            case tags
        }
    }

    /// A model with a nested object.
    struct Outer: Codable {
        let inner: [Inner]
    }

    /// The nested object.
    struct Inner: Codable {
        let port: Int
    }

    /// A model with small and large integers.
    struct Limits: Codable {
        let small: UInt8?
        let ttl: Int?
        let ratio: Double?
    }

    private func jsonRequest(_ body: String, contentType: String? = "application/json") -> HTTPRequest {
        HTTPRequest(
            method: "POST",
            path: "/",
            headers: contentType.map { ["Content-Type": $0] } ?? [:],
            body: Array(body.utf8)
        )
    }

    @Test(".json sorts keys, keeps the model's key names and writes RFC 3339 UTC dates")
    func jsonResponse() {
        let model = Model(sessionID: "s/1", createdAt: Date(timeIntervalSince1970: 1_700_000_000), tags: [])
        let response = HTTPResponse.json(model, status: 201)
        #expect(response.status == 201)
        #expect(response.header("content-type") == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self)
            == #"{"created_at":"2023-11-14T22:13:20Z","session_id":"s/1","tags":[]}"#)
    }

    @Test("problem responses carry type, title, status and detail, plus the error's headers")
    func problem() throws {
        let response = HTTPResponse.problem(.methodNotAllowed(allowed: ["GET", "HEAD"]))
        #expect(response.status == 405)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(response.header("Allow") == "GET, HEAD")
        let problem = try JSONDecoder().decode(ProblemDetails.self, from: Data(response.body))
        #expect(problem == ProblemDetails(title: "Method Not Allowed", status: 405, detail: problem.detail))
    }

    @Test("text and no-content helpers")
    func helpers() {
        let text = HTTPResponse.text("hi", contentType: "text/csv", status: 202)
        #expect(text.status == 202 && text.header("Content-Type") == "text/csv" && text.body == Array("hi".utf8))
        #expect(HTTPResponse.noContent.status == 204 && HTTPResponse.noContent.body.isEmpty)
    }

    @Test("a JSON body decodes, with dates with or without fractional seconds")
    func decodes() throws {
        let body = #"{"session_id":"a","created_at":"2023-11-14T22:13:20.5Z","tags":["x"]}"#
        let model = try jsonRequest(body, contentType: "Application/JSON; charset=utf-8").decodeJSON(Model.self)
        #expect(model.createdAt == Date(timeIntervalSince1970: 1_700_000_000.5))
        let offset = #"{"session_id":"a","created_at":"2023-11-14T23:13:20+01:00","tags":[]}"#
        #expect(try jsonRequest(offset).decodeJSON(Model.self).createdAt == Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test("a missing or different Content-Type is 415")
    func contentType() {
        #expect(throws: HTTPError.unsupportedMediaType("Content-Type must be application/json")) {
            try jsonRequest("{}", contentType: nil).decodeJSON(Inner.self)
        }
        #expect(throws: HTTPError.self) { try jsonRequest("{}", contentType: "application/jsonx").decodeJSON(Inner.self) }
        #expect(throws: HTTPError.self) { try jsonRequest("{}", contentType: "text/json").decodeJSON(Inner.self) }
    }

    @Test("decoding failures are 400s that name the field")
    func fieldNames() {
        let cases: [(String, String)] = [
            ("{", "the request body is not valid JSON"),
            ("", "the request body is not valid JSON"),
            ("[]", "the request body must be an object"),
            (#"{"inner":[{"port":1},{}]}"#, "missing field 'inner[1].port'"),
            (#"{"inner":[{"port":"x"}]}"#, "field 'inner[0].port' must be an integer"),
            (#"{"inner":null}"#, "field 'inner' must not be null"),
            (#"{"inner":{}}"#, "field 'inner' must be an array"),
        ]
        for (body, detail) in cases {
            #expect(throws: HTTPError.badRequest(detail), "\(body)") {
                try jsonRequest(body).decodeJSON(Outer.self)
            }
        }
        #expect(throws: HTTPError.badRequest("field 'created_at' has an invalid value")) {
            try jsonRequest(#"{"session_id":"a","created_at":"yesterday","tags":[]}"#).decodeJSON(Model.self)
        }
    }

    @Test("a number that does not fit an integer field is named, though the decoder gives no path")
    func numbersOutOfRange() {
        let cases: [(String, String)] = [
            (#"{"ttl":1.5,"ratio":2}"#, "field 'ttl' must be an integer within range"),
            (#"{"ttl":1e30}"#, "field 'ttl' must be an integer within range"),
            (#"{"ttl":9223372036854775808}"#, "field 'ttl' must be an integer within range"),
            (#"{"small":300}"#, "the request body has a value out of range for its field"),
        ]
        for (body, detail) in cases {
            #expect(throws: HTTPError.badRequest(detail), "\(body)") {
                try jsonRequest(body).decodeJSON(Limits.self)
            }
        }
        #expect(throws: HTTPError.badRequest("field 'inner[1].port' must be an integer within range")) {
            try jsonRequest(#"{"inner":[{"port":1},{"port":2.5}]}"#).decodeJSON(Outer.self)
        }
        #expect((try? jsonRequest(#"{"ratio":1.5,"ttl":3}"#).decodeJSON(Limits.self))?.ratio == 1.5)
    }
}
