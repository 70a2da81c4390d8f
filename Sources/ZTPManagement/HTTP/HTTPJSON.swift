import Foundation

/// The JSON conventions of the management API, shared by responses and request bodies.
///
/// Keys are sorted so output is stable; dates are RFC 3339 in UTC with "Z". Key names come from
/// the models' own `CodingKeys`, so no key strategy is set here.
enum HTTPJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Accepts RFC 3339 dates with or without fractional seconds, in any offset.
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = parseDate(text) {
                return date
            }
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "expected an RFC 3339 date-time"
            )
        }
        return decoder
    }

    static func parseDate(_ text: String) -> Date? {
        let plain = Date.ISO8601FormatStyle()
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return (try? plain.parse(text)) ?? (try? fractional.parse(text))
    }
}
