import Foundation
import OpenAPIRuntime
import ZTPServer

/// One subscriber's `GET /v1/events` body: server-sent events (the WHATWG HTML "server-sent
/// events" format), one per `ServerEvent`, with a comment line as heartbeat.
///
/// Pulled by the transport only as fast as the client reads; events wait in the hub's bounded
/// queue for this subscriber meanwhile, and a client too slow for it is dropped by the hub
/// (the body then ends). The body ends too when the client leaves or the server shuts down.
enum EventStream {
    static let heartbeat = ": heartbeat\n\n"

    static func body(for subscription: EventSubscription, heartbeatInterval: Duration = .seconds(15)) -> HTTPBody {
        let channel = Rendezvous<ArraySlice<UInt8>>()
        let events = Task {
            if subscription.eventsLost {
                _ = await channel.send(ArraySlice(encode(lostMarker())))
            }
            for await event in subscription {
                guard await channel.send(ArraySlice(encode(event))) else { break }
            }
            channel.finish()
        }
        let beats = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeatInterval)
                guard await channel.send(ArraySlice(heartbeat.utf8)) else { break }
            }
        }
        let chunks = AsyncStream<ArraySlice<UInt8>>(unfolding: {
            if let chunk = await channel.receive() { return chunk }
            events.cancel()
            beats.cancel()
            subscription.cancel()
            return nil
        }, onCancel: {
            channel.finish()
            events.cancel()
            beats.cancel()
            subscription.cancel()
        })
        return HTTPBody(chunks, length: .unknown, iterationBehavior: .single)
    }

    /// `id`, `event` and `data` lines; the data is the event as JSON on one line.
    static func encode(_ event: ServerEvent) -> [UInt8] {
        let json = (try? encoder.encode(Components.Schemas.ServerEvent(event))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return Array("id: \(event.id)\nevent: \(event.type.rawValue)\ndata: \(json)\n\n".utf8)
    }

    /// Told first to a subscriber whose `Last-Event-ID` is no longer held: reload, then follow.
    private static func lostMarker() -> Components.Schemas.ServerEvent {
        Components.Schemas.ServerEvent(id: 0, time: Date(), _type: .events_lost)
    }

    private static func encode(_ marker: Components.Schemas.ServerEvent) -> [UInt8] {
        let json = (try? encoder.encode(marker)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return Array("event: events.lost\ndata: \(json)\n\n".utf8)
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
