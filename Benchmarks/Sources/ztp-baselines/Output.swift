import Foundation

/// Seconds on a monotonic clock.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// One JSON object on stdout, keys sorted.
func printJSON(_ object: [String: Any]) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// A failed measurement, with what went wrong.
struct BaselineError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
