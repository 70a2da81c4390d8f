import Foundation

/// A strict reader of the Prometheus text exposition format 0.0.4, for checking `/metrics`.
///
/// Lines are `# HELP name text`, `# TYPE name type`, other `#` comments, blank lines, or samples
/// `name{label="value",...} value [timestamp]`. Enforced as Prometheus does when scraping: names
/// and label names are valid identifiers, label values are quoted with `\\`, `\"`, `\n` escapes,
/// values are floats (`+Inf`, `-Inf`, `NaN` included), a family has at most one TYPE and one HELP,
/// given before its samples, and a family's samples form one group. Histogram and summary
/// samples (`_bucket`, `_sum`, `_count`) belong to their family.
struct ManagementAPIPrometheus {
    /// A line the format does not allow.
    struct ParseError: Error, CustomStringConvertible {
        let line: Int
        let text: String
        let reason: String
        var description: String { "line \(line): \(reason): \(text)" }
    }

    /// One sample line.
    struct Sample: Equatable {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    private(set) var samples: [Sample] = []
    /// Family name -> declared type.
    private(set) var types: [String: String] = [:]
    private(set) var help: [String: String] = [:]

    init(parsing text: String) throws {
        var finishedFamilies: Set<String> = []
        var currentFamily: String?
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            func fail(_ reason: String) -> ParseError { ParseError(line: number, text: String(line), reason: reason) }
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                guard parts.count >= 3, parts[0] == "#", parts[1] == "HELP" || parts[1] == "TYPE" else { continue }
                let name = String(parts[2])
                guard Self.isMetricName(name) else { throw fail("bad metric name") }
                let rest = parts.count > 3 ? String(parts[3]) : ""
                if parts[1] == "TYPE" {
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(rest) else { throw fail("bad type") }
                    guard types[name] == nil else { throw fail("second TYPE for \(name)") }
                    guard !finishedFamilies.contains(name), currentFamily != name else { throw fail("TYPE after samples") }
                    types[name] = rest
                } else {
                    guard help[name] == nil else { throw fail("second HELP for \(name)") }
                    help[name] = rest
                }
                continue
            }
            let sample = try Self.parseSample(line, fail: fail)
            let family = family(of: sample.name)
            if family != currentFamily {
                if let currentFamily { finishedFamilies.insert(currentFamily) }
                guard !finishedFamilies.contains(family) else { throw fail("samples of \(family) are not one group") }
                currentFamily = family
            }
            samples.append(sample)
        }
    }

    /// The family a sample name belongs to: a declared histogram or summary takes its suffixed
    /// samples, anything else is its own family.
    private func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let type = types[base], type == "histogram" || type == "summary" { return base }
        }
        return name
    }

    /// The value of the sample `name` whose labels include `labels`; nil if there is none,
    /// the sum if several match.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    /// Every label name used by any sample.
    var labelNames: Set<String> { Set(samples.flatMap { $0.labels.keys }) }

    static func isMetricName(_ text: some StringProtocol) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || first == ":" || isLetter(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || $0 == ":" || isLetter($0) || isDigit($0) }
    }

    static func isLabelName(_ text: some StringProtocol) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || isLetter(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || isLetter($0) || isDigit($0) }
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar)
    }

    static func parseValue(_ text: some StringProtocol) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }

    private static func parseSample(_ line: Substring, fail: (String) -> ParseError) throws -> Sample {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard isMetricName(name) else { throw fail("bad metric name") }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw fail("label without '='") }
                let label = String(rest[..<equals])
                guard isLabelName(label) else { throw fail("bad label name '\(label)'") }
                guard labels[label] == nil else { throw fail("repeated label \(label)") }
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw fail("label value not quoted") }
                rest = rest.dropFirst()
                var value = ""
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\"" { closed = true; break }
                    if character == "\\" {
                        guard let escaped = rest.first else { break }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape \\\(escaped)")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { throw fail("unterminated label value") }
                labels[label] = value
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("expected ',' or '}'") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("no value") }
        let fields = rest.split(separator: " ")
        guard fields.count == 1 || fields.count == 2, let value = parseValue(fields[0]) else { throw fail("bad value") }
        if fields.count == 2, Int64(fields[1]) == nil { throw fail("bad timestamp") }
        return Sample(name: name, labels: labels, value: value)
    }
}
