import Foundation
import OpenAPIMicroHTTPD

/// Reads the dashboard's files (`Public/`) from disk on each request, so an edited file is
/// served at once.
///
/// A name is one path segment, read from one folder of the directory: a name holding "/",
/// "..", a NUL, or not ending in the folder's suffix is 404 like a missing file, so no request
/// can name a file elsewhere.
struct StaticFiles: Sendable {
    let directory: String

    /// The contents of `folder/name` (`folder` empty for the top level).
    func contents(of name: String, in folder: String = "", withSuffix suffix: String? = nil) throws(HTTPError) -> [UInt8] {
        guard !name.isEmpty, !name.contains("/"), !name.contains(".."), !name.contains("\0"),
              suffix.map(name.hasSuffix) ?? true
        else {
            throw .notFound("no such file")
        }
        let path = folder.isEmpty ? "\(directory)/\(name)" : "\(directory)/\(folder)/\(name)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let contents = FileManager.default.contents(atPath: path)
        else {
            throw .notFound("no such file")
        }
        return Array(contents)
    }
}
