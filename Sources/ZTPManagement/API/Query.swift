/// Reading and checking query parameters: a bad value is a 400 that names the parameter.
extension HTTPRequest {
    func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(HTTPError) -> Int {
        guard let text = query[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw .badRequest("query parameter '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func choice(_ name: String, from allowed: [String], default fallback: String?) throws(HTTPError) -> String? {
        guard let text = query[name] else { return fallback }
        guard allowed.contains(text) else {
            throw .badRequest("query parameter '\(name)' must be one of: \(allowed.joined(separator: ", "))")
        }
        return text
    }

    var page: (limit: Int, offset: Int) {
        get throws(HTTPError) {
            (try integer("limit", default: 100, range: 1...1000), try integer("offset", default: 0, range: 0...Int(Int32.max)))
        }
    }
}
