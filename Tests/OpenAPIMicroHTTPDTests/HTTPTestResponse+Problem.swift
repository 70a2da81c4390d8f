import OpenAPIMicroHTTPD
import ZTPTestSupport

extension HTTPTestResponse {
    /// The body as problem details, if it decodes as one.
    var problem: ProblemDetails? { json(ProblemDetails.self) }
}
