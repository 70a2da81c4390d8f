import Foundation

/// Client-facing 400 details for a JSON body that does not decode.
///
/// The wording is ours and names the field by its JSON key path ("a.b[2].c"); the decoder's
/// debug text is never passed on, since it can quote parser internals.
enum JSONDecodingProblem {
    static func detail(for error: DecodingError, body: [UInt8]) -> String {
        switch error {
        case let .keyNotFound(key, context):
            return "missing field '\(fieldPath(context.codingPath + [key]))'"
        case let .valueNotFound(_, context):
            return "\(subject(context.codingPath)) must not be null"
        case let .typeMismatch(expected, context):
            return jsonKind(expected).map { "\(subject(context.codingPath)) must be \($0)" }
                ?? "\(subject(context.codingPath)) has the wrong type"
        case let .dataCorrupted(context) where !context.codingPath.isEmpty:
            return "\(subject(context.codingPath)) has an invalid value"
        case .dataCorrupted:
            return detailForPathlessCorruption(body)
        @unknown default:
            return "the request body could not be decoded"
        }
    }

    /// "a.b[2].c" from a coding path.
    static func fieldPath(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    private static func subject(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "the request body" : "field '\(fieldPath(path))'"
    }

    // swift-foundation's JSONDecoder reports a number that does not fit its Swift type (1.5 or
    // 1e30 for an Int) as "not valid JSON" with no coding path. When the body does parse, look
    // for the number that cannot be an integer and name it if it is the only one.
    private static func detailForPathlessCorruption(_ body: [UInt8]) -> String {
        guard let tree = try? JSONSerialization.jsonObject(with: Data(body), options: .fragmentsAllowed) else {
            return "the request body is not valid JSON"
        }
        var misfits: [String] = []
        collectNonIntegers(tree, path: "", into: &misfits)
        if misfits.count == 1 {
            return "field '\(misfits[0])' must be an integer within range"
        }
        return "the request body has a value out of range for its field"
    }

    private static func collectNonIntegers(_ value: Any, path: String, into misfits: inout [String]) {
        switch value {
        case let object as [String: Any]:
            for (key, child) in object {
                collectNonIntegers(child, path: path.isEmpty ? key : "\(path).\(key)", into: &misfits)
            }
        case let array as [Any]:
            for (index, child) in array.enumerated() {
                collectNonIntegers(child, path: "\(path)[\(index)]", into: &misfits)
            }
        case let number as NSNumber:
            let double = number.doubleValue
            if double.rounded() != double || abs(double) >= 0x1p63 {
                misfits.append(path)
            }
        default:
            break
        }
    }

    private static func jsonKind(_ type: Any.Type) -> String? {
        switch type {
        case is String.Type, is Date.Type, is URL.Type, is UUID.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is Int16.Type, is Int8.Type,
             is UInt.Type, is UInt64.Type, is UInt32.Type, is UInt16.Type, is UInt8.Type:
            "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: nil
        }
    }
}
