import Foundation
import Testing
@testable import ZTPManagement

/// Serving files from a directory, without a daemon.
@Suite("StaticFiles")
struct HTTPStaticFilesTests {
    @Test("content types follow the file extension")
    func contentTypes() {
        let expected = [
            "a.html": "text/html; charset=utf-8",
            "a.js": "text/javascript; charset=utf-8",
            "a.css": "text/css; charset=utf-8",
            "a.svg": "image/svg+xml",
            "a.PNG": "image/png",
            "openapi.json": "application/json",
            "openapi.yaml": "application/yaml",
            "notes.txt": "text/plain; charset=utf-8",
            "blob": "application/octet-stream",
            "dir.d/blob": "application/octet-stream",
        ]
        for (path, type) in expected {
            #expect(StaticFiles.contentType(forPath: path) == type, "\(path)")
        }
    }

    @Test("paths with '..' or NUL are refused before touching the disk")
    func refusal() {
        let files = StaticFiles(directory: "/")
        for path in ["../etc/passwd", "a/../../b", "..", "a\0b", "etc/passwd\0.png"] {
            #expect(throws: HTTPError.badRequest("the path must not contain '..' or NUL")) {
                try files.response(for: path)
            }
        }
    }

    @Test("a missing file or a directory without index.html is 404")
    func missing() throws {
        let directory = NSTemporaryDirectory() + "ztp-static-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = StaticFiles(directory: directory)
        #expect(throws: HTTPError.notFound("no such file")) { try files.response(for: "nope.txt") }
        #expect(throws: HTTPError.notFound("no such file")) { try files.response(for: "empty") }
    }
}
