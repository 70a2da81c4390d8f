import Foundation
import Testing
@testable import ZTPStore

@Suite("Store file")
struct StoreFileTests {
    @Test("the database and its -wal and -shm files are created with mode 0600")
    func ownerOnlyMode() throws {
        try withFileStore { store, path in
            try store.recordIssued(Fixtures.token("m1", issued: 0))
            try store.appendAudit(actor: "ztp", action: "token.issued", detail: "m1", at: Fixtures.t0)
            #expect(try permissions(of: path) == 0o600)
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
            #expect(try permissions(of: path + "-wal") == 0o600)
            #expect(try permissions(of: path + "-shm") == 0o600)
        }
    }

    @Test("an existing file with a looser mode is tightened to 0600 on open")
    func tightensExistingFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/ztp.sqlite"
            #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
            #expect(try permissions(of: path) == 0o644)
            let store = try Store(path: path)
            #expect(try permissions(of: path) == 0o600)
            try store.recordIssued(Fixtures.token("m2", issued: 0))
            #expect(try store.token(jti: "m2") != nil)
        }
    }

    @Test("the database is in WAL mode (file format bytes 18 and 19 are 2)")
    func walMode() throws {
        try withFileStore { store, path in
            try store.recordIssued(Fixtures.token("w1", issued: 0))
            let header = try #require(FileManager.default.contents(atPath: path)).prefix(100)
            #expect(header.starts(with: Array("SQLite format 3\0".utf8)))
            #expect(Array(header[18...19]) == [2, 2])
        }
    }

    @Test("opening a path in a missing directory fails with a file-system error")
    func missingDirectory() throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: StoreError.self) {
                try Store(path: directory + "/absent/ztp.sqlite")
            }
            #expect(error?.code == .fileSystem)
        }
    }

    @Test("reopening an up-to-date database runs no migration twice and keeps the data", arguments: Backend.available)
    func reopenIsIdempotent(backend: Backend) throws {
        try withDatabase(backend) { database in
            try database.open().recordIssued(Fixtures.token("again", issued: 0))
            for _ in 0..<3 {
                let store = try database.open()
                #expect(try store.tokens(clientID: nil, state: nil, now: Fixtures.t0, limit: 10, offset: 0).total == 1)
            }
        }
    }
}
