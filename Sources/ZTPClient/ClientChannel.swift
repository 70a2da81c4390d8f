import NIOCore
import ZTPCore

/// The bridge between async callers and the connection, which lives on its event loop.
final class ClientChannel: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<ClientHandler>
    private let gate: SendGate

    init(channel: any Channel, handler: ClientHandler, gate: SendGate) {
        self.channel = channel
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
        self.gate = gate
    }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (ClientHandler) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        let handler = self.handler
        if channel.eventLoop.inEventLoop { return body(handler.value) }
        return channel.eventLoop.flatSubmit { body(handler.value) }
    }

    func established() async throws -> SessionInfo {
        try await onLoop { $0.establishedFuture }.get()
    }

    func send(stream: UInt32, message: [UInt8]) async throws {
        if try gate.admit(stream: stream, count: message.count) {
            let handler = self.handler
            channel.eventLoop.execute { handler.value.sendHandedOver(stream: stream, message: message) }
            return
        }
        try await onLoop { $0.send(stream: stream, message: message) }.get()
    }

    func openStream(_ id: UInt32, window: Int) async throws -> StreamInbox {
        let inbox = StreamInbox(creditedLimit: window)
        try await onLoop { $0.open(stream: id, inbox: inbox) }.get()
        return inbox
    }

    func closeStream(_ id: UInt32) async {
        _ = try? await onLoop { $0.closeStream(id) }.get()
    }

    func consumed(stream: UInt32, count: Int) {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.consumed(stream: stream, count: count) }
    }

    func ping() async throws -> Double {
        try await onLoop { $0.ping() }.get()
    }

    func close() async {
        _ = try? await onLoop { $0.closeSession(code: .normal, reason: "bye") }.get()
        try? await channel.closeFuture.get()
    }

    var closed: EventLoopFuture<ZTPClientError> {
        let handler = self.handler
        return channel.eventLoop.flatSubmit { handler.value.closedFuture }
    }
}
