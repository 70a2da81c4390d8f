import Foundation
import Testing

/// The files under Tests/ZTPCoreTests/Vectors, copied into the test bundle as they are.
enum Vectors {
    /// URL of `path` relative to the Vectors folder, e.g. "wycheproof/x25519_test.json".
    static func url(_ path: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Vectors", withExtension: nil),
                                "Vectors folder missing from the test bundle")
        return root.appendingPathComponent(path)
    }

    static func data(_ path: String) throws -> Data {
        try Data(contentsOf: url(path))
    }

    static func load<T: Decodable>(_ type: T.Type = T.self, _ path: String) throws -> T {
        try JSONDecoder().decode(T.self, from: data(path))
    }
}
