import OpenAPIMicroHTTPD

/// Events as they happen and the recent history of the server's counters.
extension ManagementAPI {
    func streamEvents(_ input: Operations.StreamEvents.Input) async throws -> Operations.StreamEvents.Output {
        throw HTTPError(status: 503, detail: "TEMPORARY")
    }

    func getStats(_ input: Operations.GetStats.Input) async throws -> Operations.GetStats.Output {
        throw HTTPError(status: 503, detail: "TEMPORARY")
    }
}
