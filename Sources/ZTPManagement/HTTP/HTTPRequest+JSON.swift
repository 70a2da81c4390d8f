import Foundation

extension HTTPRequest {
    /// The body decoded as JSON into `type`.
    ///
    /// Throws 415 unless `Content-Type` is `application/json` (parameters such as `charset` are
    /// allowed), and 400 when the body is not JSON or does not fit `type`; the 400 detail names
    /// the offending field when the decoder knows it.
    public func decodeJSON<Body: Decodable>(_ type: Body.Type = Body.self) throws(HTTPError) -> Body {
        guard let contentType = header("content-type"), Self.isJSON(contentType) else {
            throw .unsupportedMediaType("Content-Type must be application/json")
        }
        do {
            return try HTTPJSON.decoder().decode(type, from: Data(body))
        } catch let error as DecodingError {
            throw .badRequest(Self.describe(error))
        } catch {
            throw .badRequest("the request body is not valid JSON")
        }
    }

    /// RFC 9110 §8.3.1: the media type is case-insensitive and may be followed by parameters.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }

    /// A client-facing description of `error`; it uses the coding path and our own wording, never
    /// the decoder's debug text, which can quote the underlying parser error.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case let .keyNotFound(key, context):
            return "missing field '\(fieldPath(context.codingPath + [key]))'"
        case let .valueNotFound(_, context):
            return context.codingPath.isEmpty
                ? "the request body must not be null"
                : "field '\(fieldPath(context.codingPath))' must not be null"
        case let .typeMismatch(expected, context):
            let subject = context.codingPath.isEmpty
                ? "the request body"
                : "field '\(fieldPath(context.codingPath))'"
            return jsonKind(expected).map { "\(subject) must be \($0)" }
                ?? "\(subject) has the wrong type"
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty
                ? "the request body is not valid JSON"
                : "field '\(fieldPath(context.codingPath))' has an invalid value"
        @unknown default:
            return "the request body could not be decoded"
        }
    }

    /// "a.b[2].c" from a coding path.
    static func fieldPath(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    private static func jsonKind(_ type: Any.Type) -> String? {
        switch type {
        case is String.Type, is Date.Type, is URL.Type, is UUID.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type, is UInt32.Type,
             is UInt16.Type, is UInt8.Type, is Int16.Type, is Int8.Type:
            "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: nil
        }
    }
}
