import Foundation

/// One line of the results: a figure, the baseline it is compared with, and the target.
///
/// Every target is on `ratio` (value / baseline value), including absolute budgets, which are
/// written as a baseline of that size (`budget 32 KiB`), so one rule reads every row.
struct Row: Sendable {
    /// What the target asks of the ratio.
    enum Target: Sendable {
        case atMost(Double)
        case atLeast(Double)
        /// Reported only.
        case none

        var text: String {
            switch self {
            case .atMost(let limit): return "<= \(Row.format(limit))x"
            case .atLeast(let limit): return ">= \(Row.format(limit))x"
            case .none: return "reported"
            }
        }
    }

    var scenario: String
    var name: String
    var value: Double
    var unit: String
    var baseline: String?
    var baselineValue: Double?
    var target: Target
    /// Anything the reader needs (scaled-down sizes, samples).
    var note: String = ""

    var ratio: Double? {
        guard let baselineValue, baselineValue != 0, value.isFinite else { return nil }
        return value / baselineValue
    }

    /// Nil when there is nothing to meet.
    var met: Bool? {
        guard let ratio else { return nil }
        switch target {
        case .atMost(let limit): return ratio <= limit
        case .atLeast(let limit): return ratio >= limit
        case .none: return nil
        }
    }

    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        let magnitude = abs(value)
        if magnitude >= 100 { return String(Int(value.rounded())) }
        if magnitude >= 10 { return String(format: "%.1f", value) }
        if magnitude >= 1 { return String(format: "%.2f", value) }
        return String(format: "%.3f", value)
    }
}
