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
    /// Messages the session's bound on queued bytes had no room for, oldest first, with the
    /// waiting sender's promise (nil for a message handed over without waiting). Bounded by
    /// the waiting senders, one message each, plus `SendGate.pipelineBytes`.
    private var parked = CircularBuffer<(stream: UInt32, message: [UInt8], promise: EventLoopPromise<Void>?)>()
    private var pings: [[UInt8]: (EventLoopPromise<Double>, Double)] = [:]
    private var timer: Scheduled<Void>?
    private var timerDeadline = Double.infinity
    private var inReadBatch = false
    private var finished: ZTPClientError?
    /// Set once TCP is being closed; `closeTimer` closes it if the last bytes do not go out.
    private var closingTransport = false
    private var closeTimer: Scheduled<Void>?
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
        var events: [ConnectionEvent] = []
        connection.receive(buffer, now: monotonicNow(), into: &events)
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
        closeTimer?.cancel()
        closeTimer = nil
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
                // (see StreamInbox); otherwise the reader reports it when it takes it. Copied
                // out of the receive buffer, since the reader keeps messages.
                if inboxes[stream]?.deliver(Array(buffer: payload)) == true {
                    connection.consumed(stream: stream, count: payload.readableBytes, now: monotonicNow())
                }
            case .streamClosed(let id, let code, let reason, _):
                let error = ZTPClientError(.streamClosed(code), "stream \(id) closed: \(code.name)" + (reason.isEmpty ? "" : " (\(reason))"))
                if code == .normal { inboxes[id]?.finish() } else { inboxes[id]?.finish(throwing: error) }
                inboxes[id] = nil
                for waiter in writeWaiters.removeValue(forKey: id) ?? [] { waiter.fail(error) }
                for entry in parked where entry.stream == id { reject(stream: id, count: entry.message.count, promise: entry.promise, error) }
                parked.removeAll { $0.stream == id }
                gate.flowing(stream: id)
                admitParked()
            case .streamWritable(let id):
                for waiter in writeWaiters.removeValue(forKey: id) ?? [] { waiter.succeed() }
                if !parked.contains(where: { $0.stream == id }) { gate.flowing(stream: id) }
                admitParked()
            case .pong(let opaque):
                if let (promise, sentAt) = pings.removeValue(forKey: opaque) { promise.succeed(monotonicNow() - sentAt) }
            case .streamOpened, .streamRejected:
                break
            case .closed(let reason):
                if reason == .timeout, let session = connection.session {
                    let silence = 3 * session.parameters.heartbeatInterval
                    finish(ZTPClientError(.timeout, "server unreachable: nothing heard from it for \(silence) s (3 x heartbeat_interval)"))
                } else {
                    finish(ZTPClientError.from(reason))
                }
                closeTransport()
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
        for entry in parked { entry.promise?.fail(error) }
        parked.removeAll()
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

    /// A sender that waits: the future completes once the message is sealed or queued behind
    /// the window and that queue has drained.
    func send(stream: UInt32, message: [UInt8]) -> EventLoopFuture<Void> {
        let promise = establishedPromise.futureResult.eventLoop.makePromise(of: Void.self)
        submit(stream: stream, message: message, promise: promise)
        return promise.futureResult
    }

    /// A message whose sender did not wait (see `SendGate`).
    func sendHandedOver(stream: UInt32, message: [UInt8]) {
        submit(stream: stream, message: message, promise: nil)
    }

    private func submit(stream: UInt32, message: [UInt8], promise: EventLoopPromise<Void>?) {
        if let finished { return reject(stream: stream, count: message.count, promise: promise, finished) }
        // Behind a parked message of its stream it parks too, so the stream's order holds.
        let outcome = parked.contains(where: { $0.stream == stream })
            ? .queueFull : connection.sendData(stream: stream, payload: message, now: monotonicNow())
        if outcome == .queueFull {
            // The client waits for room instead of failing: the bound protects this process's
            // memory, and the messages come from its own senders, each held to one here.
            parked.append((stream, message, promise))
            gate.queued(stream: stream)
            return
        }
        settle(outcome, stream: stream, count: message.count, promise: promise)
    }

    /// After queued bytes drained: parked messages go in, oldest first, while there is room.
    private func admitParked() {
        while finished == nil, let entry = parked.first {
            let outcome = connection.sendData(stream: entry.stream, payload: entry.message, now: monotonicNow())
            if outcome == .queueFull { return }
            parked.removeFirst()
            settle(outcome, stream: entry.stream, count: entry.message.count, promise: entry.promise)
        }
    }

    /// Completes a submitted message; a handed-over one returns its bytes to the gate.
    private func settle(_ outcome: SendOutcome, stream: UInt32, count: Int, promise: EventLoopPromise<Void>?) {
        switch outcome {
        case .sent:
            writeOutbound()
            if let promise { promise.succeed() } else { gate.handled(count: count) }
        case .queued, .queueFull:
            gate.queued(stream: stream)
            if let promise { writeWaiters[stream, default: []].append(promise) } else { gate.handled(count: count) }
        case .tooLarge:
            reject(stream: stream, count: count, promise: promise, ZTPClientError(.messageTooLarge, "message larger than max_frame"))
        case .streamNotOpen:
            reject(stream: stream, count: count, promise: promise, ZTPClientError(.closedLocally, "stream \(stream) cannot take more"))
        }
    }

    /// A waiting sender gets the error; for a handed-over message the stream's next send does.
    private func reject(stream: UInt32, count: Int, promise: EventLoopPromise<Void>?, _ error: ZTPClientError) {
        if let promise { return promise.fail(error) }
        gate.failed(stream: stream, error)
        gate.handled(count: count)
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
        finish(ZTPClientError(.closedLocally, "closed by this client"))
        closeTransport()
        return context.channel.closeFuture
    }

    /// Section 2.0: "A side that has sent CLOSE on stream 0 closes TCP within 2 seconds,
    /// whether or not its peer has taken what was written." The timer fires with room to spare.
    static let closeDeadline: TimeAmount = .seconds(1)

    /// Flushes what is written and what the core still has (a final CLOSE), then closes TCP
    /// once it is out or at `closeDeadline`, whichever is first.
    private func closeTransport() {
        guard !closingTransport, let context else { return }
        closingTransport = true
        let channel = context.channel
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        context.writeAndFlush(wrapOutboundOut(connection.takeOutboundBuffer())).whenComplete { _ in channel.close(promise: nil) }
        closeTimer = context.eventLoop.scheduleTask(in: Self.closeDeadline) { channel.close(promise: nil) }
    }

    // MARK: Output and timer

    private func writeOutbound() {
        guard let context, !closingTransport, connection.hasOutbound else { return }
        context.write(wrapOutboundOut(connection.takeOutboundBuffer()), promise: nil)
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
