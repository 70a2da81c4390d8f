import Foundation

/// Serves the files under one directory (e.g. `Public/`), read from disk on each request.
///
/// Paths are relative to the directory; any path containing ".." or a NUL is refused, so a
/// request can never name a file outside it. A directory (or the empty path) serves its
/// `index.html`. Register it under a remainder route: `router.get("/ui/{path...}",
/// handler: files.handler())`.
public struct StaticFiles: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// A route handler serving the path captured by the route's `{parameter...}` segment.
    public func handler(parameter: String = "path") -> Router.Handler {
        { request in
            try response(for: request.pathParameters[parameter] ?? "")
        }
    }

    /// The file at `relativePath` with its content type; 400 for a refused path, 404 if missing.
    public func response(for relativePath: String) throws(HTTPError) -> HTTPResponse {
        guard !relativePath.contains(".."), !relativePath.contains("\0") else {
            throw .badRequest("the path must not contain '..' or NUL")
        }
        var path = directory + "/" + relativePath.drop { $0 == "/" }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            path += path.hasSuffix("/") ? "index.html" : "/index.html"
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
              !isDirectory.boolValue,
              let contents = FileManager.default.contents(atPath: path)
        else {
            throw .notFound("no such file")
        }
        return HTTPResponse(
            status: 200,
            headers: [
                "Content-Type": Self.contentType(forPath: path),
                "X-Content-Type-Options": "nosniff",
            ],
            body: Array(contents)
        )
    }

    /// The media type for a file name's extension; unknown ones are served as opaque bytes.
    static func contentType(forPath path: String) -> String {
        let name = path.split(separator: "/").last ?? ""
        let suffix = name.lastIndex(of: ".").map { name[name.index(after: $0)...] } ?? ""
        switch suffix.lowercased() {
        case "html", "htm": return "text/html; charset=utf-8"
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        case "json": return "application/json"
        case "yaml", "yml": return "application/yaml"
        case "txt": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }
}
