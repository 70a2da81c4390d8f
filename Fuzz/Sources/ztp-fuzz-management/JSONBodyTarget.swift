import Foundation
import FuzzSupport
import OpenAPIMicroHTTPD
@testable import ZTPManagement

/// JSON request body decoding as `POST /v1/tokens` does it: the media-type check of
/// `JSONBodyMiddleware`, then the generated `TokenRequest` type decoded from the body, and a
/// failure turned into a problem by `ProblemResponse`. Input: one byte choosing the
/// Content-Type, then the body.
///
/// Invariants: a body either decodes or is a 415 (exactly when the type is not JSON) or a 400;
/// a decoded body has its required fields; a 400's detail is one of our own sentences and names
/// fields only by the model's keys or array indices, never quoting the body or the decoder's
/// debug text.
let jsonBodyTarget = FuzzTarget(name: "json-body", seeds: {
    [
        #"{"client_id":"alice","role":"user","ttl_seconds":60}"#, #"{"client_id":"alice","role":"user"}"#,
        #"{"client_id":1,"role":"user"}"#, #"{"client_id":"a","role":null}"#, #"{"client_id":"a","role":"u","ttl_seconds":1.5}"#,
        #"{"client_id":"a","role":"u","ttl_seconds":1e30}"#, #"[1,2]"#, #"{"role":"user"}"#, #"{"client_id":"\u0000","role":"user","x":[{}]}"#,
        "", "nul", #"{"client_id":"a","role":"u","ttl_seconds":-9223372036854775809}"#,
    ].flatMap { [[0] + Array($0.utf8), [3] + Array($0.utf8)] }
}, run: { data in
    var input = FuzzInput(data)
    let contentTypes = ["application/json", "application/json; charset=utf-8", "text/plain", " Application/JSON ;x=y", ""]
    let contentType = contentTypes[Int(input.byte()) % contentTypes.count]
    let body = Array(input.rest())
    guard JSONBodyMiddleware.isJSON(contentType) else { return }
    do {
        let decoded = try JSONDecoder().decode(Components.Schemas.TokenRequest.self, from: Data(body))
        _ = decoded.clientId.count + decoded.role.count
    } catch {
        let problem = ProblemResponse.clientError(for: error, requestBody: body)
        invariant(problem?.status == 400, "JSON body refused with \(problem?.status ?? 500)")
        invariant(problem.map { isOurSentence($0.detail) } ?? false, "400 detail is not ours: \(problem?.detail ?? "")")
    }
})

/// Field paths may only be made of the model's keys and array indices.
private var fieldPath: Regex<(Substring, Substring?, Substring?, Substring?)> { #/^[a-z_]+(\.[a-z_]+|\[[0-9]+\])*$|^(\[[0-9]+\])+(\.[a-z_]+|\[[0-9]+\])*$/# }

private func isOurSentence(_ detail: String) -> Bool {
    let fixed = ["the request body is not valid JSON", "the request body has a value out of range for its field",
                 "the request body could not be decoded", "the request body must not be null",
                 "the request body has an invalid value", "the request body has the wrong type"]
    if fixed.contains(detail) { return true }
    if detail.hasPrefix("the request body must be ") { return detail.count < 40 }
    let patterns: [Regex<(Substring, Substring)>] = [
        #/^missing field '(.*)'$/#, #/^field '(.*)' must not be null$/#, #/^field '(.*)' must be an? [a-z]+$/#,
        #/^field '(.*)' has the wrong type$/#, #/^field '(.*)' has an invalid value$/#,
        #/^field '(.*)' must be an integer within range$/#,
    ]
    for pattern in patterns {
        if let match = detail.wholeMatch(of: pattern) {
            return String(match.1).wholeMatch(of: fieldPath) != nil && known(String(match.1))
        }
    }
    return false
}

/// Keys in a path that come from the body rather than the model: only index-like ones are fine.
private func known(_ path: String) -> Bool {
    let keys = path.split(whereSeparator: { $0 == "." || $0 == "[" || $0 == "]" }).filter { $0.first?.isLetter ?? false }
    return keys.allSatisfy { ["client_id", "role", "ttl_seconds"].contains($0) }
}
