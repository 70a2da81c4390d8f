/// A parsed route template such as `/v1/sessions/{id}/streams/{stream_id}`.
///
/// `{name}` captures one non-empty path segment, as OpenAPI path templates do. The template
/// string itself is the metrics label, so label values stay bounded by the number of routes.
struct RoutePattern: Sendable, Equatable {
    /// One segment of a template.
    enum Segment: Sendable, Equatable {
        /// Matches exactly this decoded segment.
        case literal(String)
        /// Captures one non-empty segment under this name.
        case parameter(String)
    }

    let template: String
    let segments: [Segment]

    init(_ template: String) {
        precondition(template.first == "/", "route template must start with '/': \(template)")
        self.template = template
        let parts = template.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        self.segments = parts.map { part in
            guard part.first == "{", part.last == "}" else { return .literal(String(part)) }
            let name = part.dropFirst().dropLast()
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
            }
        }
        return parameters
    }

    /// Literals outrank parameters, compared position by position; so `/v1/sessions/active`
    /// wins over `/v1/sessions/{id}` for the path it names.
    func isMoreSpecific(than other: RoutePattern) -> Bool {
        other.segments.map(\.rank).lexicographicallyPrecedes(segments.map(\.rank))
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
        }
    }

    fileprivate var shape: String {
        switch self {
        case let .literal(text): "=" + text
        case .parameter: "{}"
        }
    }
}
