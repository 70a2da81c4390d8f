import OpenAPIMicroHTTPD
import ZTPServer

/// Events as they happen and the recent history of the server's counters.
extension ManagementAPI {
    func streamEvents(_ input: Operations.StreamEvents.Input) async throws -> Operations.StreamEvents.Output {
        var after: UInt64?
        if let text = input.headers.lastEventID {
            guard let id = UInt64(text) else { throw HTTPError.badRequest("Last-Event-ID must be the id of an event") }
            after = id
        }
        switch services.events.subscribe(after: after) {
        case .failure:
            throw HTTPError(status: 503, detail: "too many event subscribers (at most \(services.events.limits.maxSubscribers))",
                            headers: ["Retry-After": "5"])
        case .success(let subscription):
            return .ok(.init(headers: .init(cacheControl: .noStore),
                             body: .textEventStream(EventStream.body(for: subscription))))
        }
    }

    func getStats(_ input: Operations.GetStats.Input) async throws -> Operations.GetStats.Output {
        let samples = stats.samples(since: input.query.since).map(Components.Schemas.StatsSample.init)
        return .ok(.init(body: .json(.init(intervalSeconds: 1, windowSeconds: stats.capacity, samples: samples))))
    }
}
