/// The RFC 9457 problem details body, served as `application/problem+json`.
///
/// Only the standard members are used; `type` is always "about:blank", so `title` is the
/// status's reason phrase (RFC 9457 §4.2.1).
public struct ProblemDetails: Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String

    public init(type: String = "about:blank", title: String, status: Int, detail: String) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
    }

    public static let mediaType = "application/problem+json"
}
