/// A parsed route template such as `/v1/sessions/{id}/streams/{stream_id}`.
///
/// `{name}` captures one non-empty path segment; `{name...}`, allowed only last, captures the
/// rest of the path (zero or more segments, joined by "/"). The template string itself is the
/// metrics label, so label values stay bounded by the number of routes.
struct RoutePattern: Sendable, Equatable {
    /// One segment of a template.
    enum Segment: Sendable, Equatable {
        /// Matches exactly this decoded segment.
        case literal(String)
        /// Captures one non-empty segment under this name.
        case parameter(String)
        /// Captures all remaining segments under this name.
        case remainder(String)
    }

    let template: String
    let segments: [Segment]

    init(_ template: String) {
        precondition(template.first == "/", "route template must start with '/': \(template)")
        self.template = template
        let parts = template.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        self.segments = parts.enumerated().map { index, part in
            guard part.first == "{", part.last == "}" else { return .literal(String(part)) }
            let name = part.dropFirst().dropLast()
            if name.hasSuffix("...") {
                precondition(index == parts.count - 1, "'{name...}' must be last: \(template)")
                let base = String(name.dropLast(3))
                precondition(!base.isEmpty, "empty parameter name in \(template)")
                return .remainder(base)
            }
            precondition(!name.isEmpty, "empty parameter name in \(template)")
            return .parameter(String(name))
        }
    }

    /// The captured parameters if `path` (decoded segments) matches, else nil.
    func match(_ path: [String]) -> [String: String]? {
        var parameters: [String: String] = [:]
        for (index, segment) in segments.enumerated() {
            switch segment {
            case let .literal(text):
                guard index < path.count, path[index] == text else { return nil }
            case let .parameter(name):
                guard index < path.count, !path[index].isEmpty else { return nil }
                parameters[name] = path[index]
            case let .remainder(name):
                parameters[name] = path[min(index, path.count)...].joined(separator: "/")
                return parameters
            }
        }
        return path.count == segments.count ? parameters : nil
    }

    /// The parameters of a path this pattern matched, from the path's still percent-encoded
    /// segments (split on "/" as `RequestTarget.pathSegments` splits them): swift-openapi-runtime
    /// percent-decodes path parameters itself, so decoded values would be decoded twice ("%2525"
    /// would reach the handler as "%", and a lone "%" as nothing).
    func encodedParameters(_ rawSegments: [Substring]) -> [String: Substring] {
        var parameters: [String: Substring] = [:]
        for (index, segment) in segments.enumerated() {
            switch segment {
            case .literal:
                continue
            case let .parameter(name):
                guard index < rawSegments.count else { continue }
                parameters[name] = rawSegments[index]
            case let .remainder(name):
                parameters[name] = Substring(rawSegments[min(index, rawSegments.count)...].joined(separator: "/"))
            }
        }
        return parameters
    }

    /// Literals outrank parameters, which outrank a remainder, compared position by position;
    /// so `/v1/sessions/active` wins over `/v1/sessions/{id}` for the path it names, and `/ui`
    /// over `/ui/{path...}` for "/ui".
    func isMoreSpecific(than other: RoutePattern) -> Bool {
        other.ranks.lexicographicallyPrecedes(ranks)
    }

    // The end of a template ranks above a remainder, which may match nothing at that position.
    private var ranks: [Int] {
        segments.map(\.rank) + [1]
    }

    /// Two templates that match exactly the same paths (they differ only in parameter names).
    func hasSameShape(as other: RoutePattern) -> Bool {
        segments.map(\.shape) == other.segments.map(\.shape)
    }
}

extension RoutePattern.Segment {
    fileprivate var rank: Int {
        switch self {
        case .literal: 3
        case .parameter: 2
        case .remainder: 0
        }
    }

    fileprivate var shape: String {
        switch self {
        case let .literal(text): "=" + text
        case .parameter: "{}"
        case .remainder: "{...}"
        }
    }
}
