import NIOCore
import ZTPCore

/// Drives a `ClientConnection` on a NIO channel: bytes in and out, the heartbeat timer, and
/// the hand-off of events to async callers (per-stream inboxes, send waiters, the handshake).
final class ClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var connection: ClientConnection
    private var context: ChannelHandlerContext?
    private let establishedPromise: EventLoopPromise<SessionInfo>
    private let closedPromise: EventLoopPromise<ZTPClientError>
    private var inboxes: [UInt32: StreamInbox] = [:]
    /// Senders waiting for a stream's queue to drain, oldest first.
    private var writeWaiters: [UInt32: [EventLoopPromise<Void>]] = [:]
    private var pings: [[UInt8]: (EventLoopPromise<Double>, Double)] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline = Double.infinity
    private var inReadBatch = false
    private var finished: ZTPClientError?
    private let gate: SendGate

    init(connection: ClientConnection, eventLoop: any EventLoop, gate: SendGate) {
        self.connection = connection
        self.gate = gate
        establishedPromise = eventLoop.makePromise()
        closedPromise = eventLoop.makePromise()
    }

    var establishedFuture: EventLoopFuture<SessionInfo> { establishedPromise.futureResult }
    var closedFuture: EventLoopFuture<ZTPClientError> { closedPromise.futureResult }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        writeOutbound()
        scheduleTimer()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let events = buffer.withUnsafeReadableBytes { connection.receive($0, now: monotonicNow()) }
        inReadBatch = true
        handle(events)
        inReadBatch = false
        writeOutbound()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        scheduleTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(ZTPClientError(.disconnected, "connection closed by the server without CLOSE"))
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(ZTPClientError(.disconnected, "connection error: \(error)"))
        context.close(promise: nil)
    }

    private func handle(_ events: [ConnectionEvent]) {
        for event in events {
            switch event {
            case .established(let info):
                gate.established(maxMessage: info.parameters.maxFrame)
                establishedPromise.succeed(info)
            case .data(let stream, let payload):
                // Counted now when a reader waits or the unread bytes stay within a window
                // (see StreamInbox); otherwise the reader reports it when it takes it.
                if inboxes[stream]?.deliver(payload) == true {
                    connection.consumed(stream: stream, count: payload.count, now: monotonicNow())
                }
            case .streamClosed(let id, let code, let reason, _):
                let error = ZTPClientError(.streamClosed(code), "stream \(id) closed: \(code.name)" + (reason.isEmpty ? "" : " (\(reason))"))
                if code == .normal { inboxes[id]?.finish() } else { inboxes[id]?.finish(throwing: error) }
                inboxes[id] = nil
                gate.flowing(stream: id)
                for waiter in writeWaiters.removeValue(forKey: id) ?? [] { waiter.fail(error) }
            case .streamWritable(let id):
                gate.flowing(stream: id)
                for waiter in writeWaiters.removeValue(forKey: id) ?? [] { waiter.succeed() }
            case .pong(let opaque):
                if let (promise, sentAt) = pings.removeValue(forKey: opaque) { promise.succeed(monotonicNow() - sentAt) }
            case .streamOpened, .streamRejected:
                break
            case .closed(let reason):
                writeOutbound()
                finish(ZTPClientError.from(reason))
                context?.close(promise: nil)
            }
        }
    }

    /// Fails everything still waiting; the first reason wins.
    private func finish(_ error: ZTPClientError) {
        guard finished == nil else { return }
        finished = error
        gate.finish(error)
        timer?.cancel()
        timer = nil
        establishedPromise.fail(error)
        closedPromise.succeed(error)
        for (_, inbox) in inboxes {
            if case .closedByServer(.normal) = error.code { inbox.finish() } else { inbox.finish(throwing: error) }
        }
        inboxes.removeAll()
        for (_, waiters) in writeWaiters { for waiter in waiters { waiter.fail(error) } }
        writeWaiters.removeAll()
        for (_, (promise, _)) in pings { promise.fail(error) }
        pings.removeAll()
    }

    // MARK: Requests from async callers (on the loop)

    func open(stream: UInt32, inbox: StreamInbox) -> EventLoopFuture<Void> {
        let loop = establishedPromise.futureResult.eventLoop
        if let finished { return loop.makeFailedFuture(finished) }
        inboxes[stream]?.finish()
        inboxes[stream] = inbox
        gate.opened(stream: stream)
        // An empty DATA opens the stream without being a message (section 4).
        return send(stream: stream, message: [])
    }

    func send(stream: UInt32, message: [UInt8]) -> EventLoopFuture<Void> {
        let loop = establishedPromise.futureResult.eventLoop
        if let finished { return loop.makeFailedFuture(finished) }
        switch connection.sendData(stream: stream, payload: message, now: monotonicNow()) {
        case .sent:
            writeOutbound()
            return loop.makeSucceededVoidFuture()
        case .queued:
            gate.queued(stream: stream)
            let promise = loop.makePromise(of: Void.self)
            writeWaiters[stream, default: []].append(promise)
            return promise.futureResult
        case .tooLarge:
            return loop.makeFailedFuture(ZTPClientError(.messageTooLarge, "message larger than 65536 bytes"))
        case .streamNotOpen, .queueFull:
            return loop.makeFailedFuture(ZTPClientError(.closedLocally, "stream \(stream) cannot take more"))
        }
    }

    /// A message whose sender did not wait (see `SendGate`): a failure is kept for the
    /// stream's next `send`, since nobody is waiting for this one.
    func sendHandedOver(stream: UInt32, message: [UInt8]) {
        defer { gate.handled(count: message.count) }
        guard finished == nil else { return }
        switch connection.sendData(stream: stream, payload: message, now: monotonicNow()) {
        case .sent:
            writeOutbound()
        case .queued:
            gate.queued(stream: stream)
        case .tooLarge:
            gate.failed(stream: stream, ZTPClientError(.messageTooLarge, "message larger than max_frame"))
        case .streamNotOpen, .queueFull:
            gate.failed(stream: stream, ZTPClientError(.closedLocally, "stream \(stream) cannot take more"))
        }
    }

    func closeStream(_ stream: UInt32) -> EventLoopFuture<Void> {
        connection.closeStream(stream, code: .normal, reason: "", now: monotonicNow())
        inboxes.removeValue(forKey: stream)?.finish()
        writeOutbound()
        return establishedPromise.futureResult.eventLoop.makeSucceededVoidFuture()
    }

    func consumed(stream: UInt32, count: Int) {
        connection.consumed(stream: stream, count: count, now: monotonicNow())
        writeOutbound()
    }

    func ping() -> EventLoopFuture<Double> {
        let loop = establishedPromise.futureResult.eventLoop
        if let finished { return loop.makeFailedFuture(finished) }
        let opaque = SecureRandom.bytes(8)
        let promise = loop.makePromise(of: Double.self)
        pings[opaque] = (promise, monotonicNow())
        connection.ping(opaque, now: monotonicNow())
        writeOutbound()
        return promise.futureResult
    }

    func closeSession(code: CloseCode, reason: String) -> EventLoopFuture<Void> {
        let loop = establishedPromise.futureResult.eventLoop
        guard finished == nil, let context else { return loop.makeSucceededVoidFuture() }
        connection.close(code: code, reason: reason, now: monotonicNow())
        let bytes = connection.takeOutbound()
        finish(ZTPClientError(.closedLocally, "closed by this client"))
        let channel = context.channel
        return context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(bytes: bytes))).always { _ in
            channel.close(promise: nil)
        }
    }

    // MARK: Output and timer

    private func writeOutbound() {
        guard let context, !connection.outbound.isEmpty else { return }
        var buffer = context.channel.allocator.buffer(capacity: connection.outbound.count)
        connection.drainOutbound { buffer.writeBytes($0) }
        context.write(wrapOutboundOut(buffer), promise: nil)
        if !inReadBatch { context.flush() }
    }

    private func scheduleTimer() {
        guard finished == nil, let context, let deadline = connection.nextDeadline else { return }
        if timer != nil, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        let delay = max(0, deadline - monotonicNow())
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay * 1e9) + 1_000_000)) {
            self.timerFired()
        }
    }

    private func timerFired() {
        timer = nil
        timerDeadline = .infinity
        guard finished == nil else { return }
        handle(connection.tick(now: monotonicNow()))
        writeOutbound()
        scheduleTimer()
    }
}

func monotonicNow() -> Double {
    Double(NIODeadline.now().uptimeNanoseconds) / 1e9
}
