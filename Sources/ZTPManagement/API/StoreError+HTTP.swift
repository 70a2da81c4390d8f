import OpenAPIMicroHTTPD
import ZTPStore

/// A database that fails or cannot be reached (PostgreSQL down, SQLite busy past its timeout)
/// is a 503 the client may retry, saying so without the database's own message (it can name
/// hosts and SQL). Other store errors are failures of ours: 500.
extension StoreError: HTTPErrorConvertible {
    public var httpError: HTTPError? {
        guard code == .database else { return nil }
        return HTTPError(status: 503, detail: "the database is not available; try again shortly",
                         headers: ["Retry-After": "5"])
    }
}
