import Foundation
import HTTPTypes
import OpenAPIRuntime
import Testing
@testable import OpenAPIMicroHTTPD

/// Errors as problem details: the response itself, and the 400s that name the field a request
/// body or parameter got wrong (`ProblemResponse.clientError(for:requestBody:)`).
@Suite("ProblemResponse")
struct ProblemResponseTests {
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

    /// What a client gets for `body` not decoding as `type`; nil if it decodes.
    private func problem<T: Decodable>(_ body: String, as type: T.Type) -> HTTPError? {
        let bytes = Array(body.utf8)
        let decoder = JSONDecoder()
        // As swift-openapi-runtime decodes dates: a failure names the field's coding path.
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            guard let date = ISO8601DateFormatter().date(from: try container.decode(String.self)) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date")
            }
            return date
        }
        do {
            _ = try decoder.decode(type, from: Data(bytes))
            return nil
        } catch {
            return ProblemResponse.clientError(for: error, requestBody: bytes)
        }
    }

    @Test("problem responses carry type, title, status and detail, plus the error's headers")
    func problemResponse() throws {
        let (response, body) = ProblemResponse.response(for: .methodNotAllowed(allowed: ["GET", "HEAD"]))
        #expect(response.status.code == 405)
        #expect(response.headerFields[.contentType] == "application/problem+json")
        #expect(response.headerFields[.allow] == "GET, HEAD")
        let problem = try JSONDecoder().decode(ProblemDetails.self, from: Data(body))
        #expect(problem == ProblemDetails(title: "Method Not Allowed", status: 405,
                                          detail: "method not allowed; allowed methods: GET, HEAD"))
        #expect(String(decoding: ProblemResponse.response(for: .internal()).1, as: UTF8.self)
            == #"{"detail":"internal server error","status":500,"title":"Internal Server Error","type":"about:blank"}"#)
    }

    @Test("an HTTPError is served as it is; any other failure of ours is a 500")
    func statuses() {
        struct Leaky: Error {}
        #expect(ProblemResponse.clientError(for: HTTPError.conflict("already there")) == .conflict("already there"))
        #expect(ProblemResponse.clientError(for: Leaky()) == nil)
        #expect(ProblemResponse.status(for: Leaky()) == 500)
        #expect(ProblemResponse.status(for: HTTPError.unauthorized("no")) == 401)
    }

    @Test("errors wrapped by the generated server are unwrapped; its own client errors keep their status")
    func serverErrors() {
        struct Leaky: Error {}
        func wrapped(_ error: any Error, status: HTTPResponse.Status = .internalServerError) -> ServerError {
            ServerError(operationID: "op", request: HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/"),
                        requestBody: nil, requestMetadata: .init(), causeDescription: "cause", underlyingError: error,
                        httpStatus: status, httpHeaderFields: [:], httpBody: nil)
        }
        #expect(ProblemResponse.clientError(for: wrapped(HTTPError.notFound("gone"))) == .notFound("gone"))
        #expect(ProblemResponse.clientError(for: wrapped(Leaky())) == nil)
        #expect(ProblemResponse.clientError(for: wrapped(Leaky(), status: .unsupportedMediaType))?.status == 415)
        let decoding = DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "internal detail"))
        #expect(ProblemResponse.clientError(for: wrapped(decoding), requestBody: Array("{".utf8))
            == .badRequest("the request body is not valid JSON"))
        #expect(ProblemResponse.clientError(for: wrapped(decoding))?.status == 400)
        #expect(ProblemResponse.clientError(for: wrapped(decoding))?.detail.contains("internal detail") == false)
    }

    @Test("a JSON body decodes, and then there is no problem")
    func decodes() {
        #expect(problem(#"{"session_id":"a","created_at":"2023-11-14T22:13:20Z","tags":["x"]}"#, as: Model.self) == nil)
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
            #expect(problem(body, as: Outer.self) == .badRequest(detail), "\(body)")
        }
        #expect(problem(#"{"session_id":"a","created_at":"yesterday","tags":[]}"#, as: Model.self)
            == .badRequest("field 'created_at' has an invalid value"))
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
            #expect(problem(body, as: Limits.self) == .badRequest(detail), "\(body)")
        }
        #expect(problem(#"{"inner":[{"port":1},{"port":2.5}]}"#, as: Outer.self)
            == .badRequest("field 'inner[1].port' must be an integer within range"))
        #expect(problem(#"{"ratio":1.5,"ttl":3}"#, as: Limits.self) == nil)
    }

    @Test("a parameter that does not decode is a 400 naming it, found from the request; its text stays ours")
    func parameters() {
        func wrapped(_ error: DecodingError, path: String, parameters: [String: Substring] = [:]) -> ServerError {
            ServerError(operationID: "op", request: HTTPRequest(method: .get, scheme: nil, authority: nil, path: path),
                        requestBody: nil, requestMetadata: .init(pathParameters: parameters), causeDescription: "cause",
                        underlyingError: error, httpStatus: .badRequest, httpHeaderFields: [:], httpBody: nil)
        }
        let notInteger = DecodingError.typeMismatch(Int.self, .init(codingPath: [], debugDescription: "internal"))
        #expect(ProblemResponse.clientError(for: wrapped(notInteger, path: "/v1/sessions?offset=5&limit=ten"))
            == .badRequest("query parameter 'limit' must be an integer"))
        #expect(ProblemResponse.clientError(for: wrapped(notInteger, path: "/v1/streams/x", parameters: ["stream_id": "x"]))
            == .badRequest("path parameter 'stream_id' must be an integer"))
        let pathless = DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "internal"))
        #expect(ProblemResponse.clientError(for: pathless)?.status == 400)
        #expect(ProblemResponse.clientError(for: pathless)?.detail.contains("internal") == false)
        #expect(ProblemResponse.clientError(for: wrapped(pathless, path: "/v1/x?a=b"))?.detail.contains("internal") == false)
    }
}
