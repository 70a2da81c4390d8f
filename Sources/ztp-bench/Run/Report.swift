import Foundation

/// The results of one invocation: printed as a table, optionally written as JSON.
struct Report {
    var machine: Machine
    var rows: [Row] = []
    /// Baseline measurements by name, for the record (unit in the name).
    var baselines: [String: Double] = [:]
    var notes: [String] = []

    /// A plain-text table, one row per figure.
    func table() -> String {
        let header = ["scenario", "figure", "value", "unit", "baseline", "baseline value", "ratio", "target", "met"]
        var lines = [header]
        for row in rows {
            lines.append([row.scenario, row.name, Row.format(row.value), row.unit, row.baseline ?? "-",
                          row.baselineValue.map(Row.format) ?? "-", row.ratio.map { Row.format($0) + "x" } ?? "-",
                          row.target.text, row.met.map { $0 ? "yes" : "NO" } ?? "-"])
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max() ?? 0 }
        var out = ""
        for (index, line) in lines.enumerated() {
            out += zip(line, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces) + "\n"
            if index == 0 { out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n" }
        }
        return out
    }

    func json() throws -> Data {
        var scenarios: [[String: Any]] = []
        for row in rows {
            scenarios.append([
                "name": row.name, "scenario": row.scenario, "value": Report.number(row.value), "unit": row.unit,
                "baseline": row.baseline ?? NSNull(), "baseline_value": row.baselineValue.map(Report.number) ?? NSNull(),
                "ratio": row.ratio.map(Report.number) ?? NSNull(), "target": row.target.text,
                "met": row.met.map { $0 as Any } ?? NSNull(), "note": row.note,
            ])
        }
        let object: [String: Any] = [
            "machine": machine.dictionary,
            "scenarios": scenarios,
            "baselines": baselines.mapValues(Report.number),
            "notes": notes,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Finite numbers rounded to 4 significant decimals; NaN as null.
    private static func number(_ value: Double) -> Any {
        guard value.isFinite else { return NSNull() }
        return (value * 10_000).rounded() / 10_000
    }
}
