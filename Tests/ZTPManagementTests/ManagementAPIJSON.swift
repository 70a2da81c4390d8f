import Foundation

/// A parsed JSON value with just enough access for assertions: `json["sessions"][0]["id"].string`.
/// A missing member or index reads as `.missing`, so a chain never traps. Sendable because the
/// parsed value is never mutated.
struct ManagementAPIJSON: CustomStringConvertible, @unchecked Sendable {
    private let value: Any?

    init(parsing bytes: [UInt8]) throws {
        value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }

    private init(_ value: Any?) {
        self.value = value
    }

    static var missing: ManagementAPIJSON { ManagementAPIJSON(nil) }

    subscript(key: String) -> ManagementAPIJSON {
        (value as? [String: Any]).map { ManagementAPIJSON($0[key]) } ?? .missing
    }

    subscript(index: Int) -> ManagementAPIJSON {
        guard let array = value as? [Any], array.indices.contains(index) else { return .missing }
        return ManagementAPIJSON(array[index])
    }

    var exists: Bool { value != nil }

    var string: String? { value as? String }

    /// An integer, but not a boolean (JSONSerialization gives both as NSNumber).
    var int: Int? {
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        return double == double.rounded() ? number.intValue : nil
    }

    var double: Double? { (value as? NSNumber)?.doubleValue }

    /// A boolean, but not a number.
    var bool: Bool? {
        guard let number = value as? NSNumber, String(cString: number.objCType) == "c" else { return nil }
        return number.boolValue
    }

    var array: [ManagementAPIJSON] { (value as? [Any])?.map { ManagementAPIJSON($0) } ?? [] }

    var isArray: Bool { value is [Any] }

    /// The member names of an object; empty for anything else.
    var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }

    /// An RFC 3339 UTC timestamp ("...Z"), as a date.
    var date: Date? {
        guard let text = string, text.hasSuffix("Z") else { return nil }
        return try? Date.ISO8601FormatStyle().parse(text)
    }

    var description: String {
        guard let value else { return "<missing>" }
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }
}
