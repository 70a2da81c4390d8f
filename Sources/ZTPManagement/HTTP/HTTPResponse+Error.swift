import Logging

extension HTTPResponse {
    /// The response for an error a handler threw: an `HTTPError` as its problem; anything else as
    /// a 500 whose detail stays generic, because error text can hold internals (paths, SQL).
    init(error: any Error, logger: Logger, context: String) {
        if let error = error as? HTTPError {
            self = .problem(error)
        } else {
            logger.error("handler failed", metadata: ["request": "\(context)", "error": "\(error)"])
            self = .problem(.internal())
        }
    }
}
