import Foundation
import OpenAPIRuntime

/// Dates as the API writes them (RFC 3339 in UTC, whole seconds: `2026-12-01T13:19:01Z`) and
/// reads them: with or without fractional seconds, in any offset, as RFC 3339 allows.
struct RFC3339DateTranscoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }

    func decode(_ text: String) throws -> Date {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "expected an RFC 3339 date-time: \(text)"))
    }
}
