import Foundation
import Testing
@testable import ZTPStore

@Suite("Database location")
struct DatabaseLocationTests {
    @Test("no URL means the SQLite file")
    func defaultIsSQLite() throws {
        #expect(try DatabaseLocation.choose(url: nil, defaultPath: "/data/ztp.sqlite") == .sqlite(path: "/data/ztp.sqlite"))
    }

    @Test("a full postgres URL is parsed, percent-escapes decoded, and shown without its password")
    func fullURL() throws {
        let url = try PostgresURL(parsing: "postgres://ztp:p%40ss%3Aword@db.example:6543/fleet?sslmode=disable")
        #expect(url.user == "ztp")
        #expect(url.password == "p@ss:word")
        #expect(url.host == "db.example")
        #expect(url.port == 6543)
        #expect(url.database == "fleet")
        #expect(url.description == "postgres://ztp:***@db.example:6543/fleet")
        #expect(DatabaseLocation.postgres(url).description == url.description)
    }

    @Test("the port defaults to 5432, the password to none, and postgresql:// is the same scheme")
    func defaults() throws {
        let url = try PostgresURL(parsing: "postgresql://ztp@127.0.0.1/ztp")
        #expect(url.port == 5432)
        #expect(url.password == nil)
        #expect(url.description == "postgres://ztp@127.0.0.1:5432/ztp")
    }

    @Test("bad URLs are refused with a message that says why and never holds the password", arguments: [
        ("mysql://u:SECRETPW@h/db", "postgres://"),
        ("postgres://:SECRETPW@h/db", "no user"),
        ("postgres://u:SECRETPW@/db", "no host"),
        ("postgres://u:SECRETPW@h", "no database"),
        ("postgres://u:SECRETPW@h/", "no database"),
        ("postgres://u:SECRETPW@h/a/b", "no database"),
        ("postgres://u:SECRETPW@h:0/db", "port"),
        ("postgres://u:SECRETPW@h/db?sslmode=require", "sslmode=require"),
        ("postgres://u:SECRETPW@h/db?application_name=x", "application_name"),
        ("not a url SECRETPW", "postgres://"),
    ])
    func refused(text: String, reason: String) throws {
        let error = #expect(throws: DatabaseURLError.self) { try PostgresURL(parsing: text) }
        #expect(error?.description.contains("SECRETPW") == false, "\(error.map(String.init(describing:)) ?? "")")
        #expect(error?.description.contains(reason) == true, "\(error.map(String.init(describing:)) ?? "")")
    }
}
