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
            throw .badRequest(JSONDecodingProblem.detail(for: error, body: body))
        } catch {
            throw .badRequest("the request body is not valid JSON")
        }
    }

    /// RFC 9110 §8.3.1: the media type is case-insensitive and may be followed by parameters.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }
}
