import Foundation
import NIOCore
import ZTPCore

/// Puts one ZTP connection on a NIO channel: bytes in, the core's events out, bytes back.
///
/// Thin on purpose: protocol decisions are the core's (`ServerConnection`); this class only
/// moves bytes, runs the one timer the core asks for, routes stream events to handlers, and
/// keeps the registry and metrics informed. Handler replies are flushed once per read batch;
/// the core's own bytes (credit, PONG, CLOSE) at the end of the read that produced them, so
/// that credit is not held back behind a batch of reads.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let services: ServerServices
    private var connection: ServerConnection
    private var context: ChannelHandlerContext?
    private(set) var handle: SessionHandle?
    private var remoteAddress = "unknown"
    /// Holding a handshake slot in the gate and the registry.
    private var holdsHandshakeSlot = false
    private var timer: Scheduled<Void>?
    private var timerDeadline = Double.infinity
    private var inReadBatch = false
    private var closing = false
    private var published = SessionStatistics()
    /// Streams open here, counted in `ztp_streams_active`. Kept here because the core forgets
    /// its streams once the session closes: streams that end with their session are ended from
    /// this set (metrics and the handler's `closed`). At most `max_streams` ids.
    private var openStreams = Set<UInt32>()
    private let acceptedAt: Double
    /// Wall-clock minus monotonic seconds, to show monotonic instants as dates.
    private let wallOffset: Double

    init(services: ServerServices) {
        self.services = services
        let now = monotonicNow()
        acceptedAt = now
        wallOffset = Date().timeIntervalSince1970 - now
        let handshake = ServerHandshake(configuration: services.configuration.handshakeConfiguration,
                                        identity: services.identity, verifier: services.verifier, acceptedAt: now)
        connection = ServerConnection(server: handshake, admission: services.router.admission(policy: services.policy))
    }

    // MARK: Channel events

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        remoteAddress = context.remoteAddress?.ipAddress ?? "unknown"
        guard services.registry.admitConnection() else {
            services.metrics.connectionsRejected.increment()
            services.metrics.handshake("capacity")
            closing = true
            context.close(promise: nil)
            return
        }
        switch services.gate.admit(address: remoteAddress, now: acceptedAt) {
        case .admitted:
            holdsHandshakeSlot = true
            scheduleTimer()
        case .tooManyPending, .rateLimited:
            services.registry.handshakeEnded()
            services.metrics.handshake("rate_limited")
            closing = true
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let now = monotonicNow()
        let events = buffer.withUnsafeReadableBytes { connection.receive($0, now: now) }
        inReadBatch = true
        handle(events)
        inReadBatch = false
        writeOutbound()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        publish()
        scheduleTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        releaseHandshakeSlot()
        if let handle {
            services.registry.remove(handle)
            services.metrics.sessionsActive.decrement()
            // Still open: the connection ended without a CLOSE (a CLOSE ended them in `finish`).
            endOpenStreams(code: nil)
            if !closing { services.metrics.sessionClosed("disconnected") }
            publish()
        }
        closing = true
        self.context = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closing = true
        context.close(promise: nil)
    }

    // MARK: Core events

    private func handle(_ events: [ConnectionEvent]) {
        for event in events {
            switch event {
            case .established(let info):
                established(info)
            case .streamOpened(let id):
                services.metrics.streamsOpened.increment()
                services.metrics.streamsActive.increment()
                openStreams.insert(id)
                if let context = streamContext(id) { services.router.handler(for: id)?.opened(context) }
            case .streamRejected(_, let code):
                services.metrics.streamRejected(code)
            case .data(let stream, let payload):
                if let context = streamContext(stream) { services.router.handler(for: stream)?.receive(payload, on: context) }
            case .streamClosed(let id, let code, _, _):
                streamEnded(id, code: code)
            case .streamWritable, .pong:
                break
            case .closed(let reason):
                finish(reason)
            }
        }
    }

    private func established(_ info: SessionInfo) {
        releaseHandshakeSlot()
        services.metrics.handshake("ok")
        services.metrics.handshakeDuration.recordSeconds(monotonicNow() - acceptedAt)
        services.metrics.sessionsOpened.increment()
        services.metrics.sessionsActive.increment()
        guard let context else { return }
        let handle = SessionHandle(info: info, remoteAddress: remoteAddress,
                                   connectedAt: Date(timeIntervalSince1970: acceptedAt + wallOffset),
                                   eventLoop: context.eventLoop, connection: self)
        self.handle = handle
        services.registry.register(handle)
        services.logger.info("session established", metadata: ["session": "\(info.sessionID)", "client": "\(info.clientID)",
                                                                "role": "\(info.role)", "remote": "\(remoteAddress)"])
    }

    /// - Parameter code: nil when the connection ended without a CLOSE.
    private func streamEnded(_ id: UInt32, code: CloseCode?) {
        guard openStreams.remove(id) != nil else { return }
        services.metrics.streamClosed(code.map { $0.name.lowercased() } ?? "disconnected")
        services.metrics.streamsActive.decrement()
        if let context = streamContext(id) { services.router.handler(for: id)?.closed(context, code: code) }
    }

    /// Ends the streams that end with their session, with the session's code.
    private func endOpenStreams(code: CloseCode?) {
        for id in openStreams.sorted() { streamEnded(id, code: code) }
    }

    private func finish(_ reason: ConnectionCloseReason) {
        if handle == nil {
            releaseHandshakeSlot()
            switch reason {
            case .local(let code):
                services.metrics.handshake(code.name.lowercased())
                if let failure = connection.handshake.authenticationFailure {
                    services.onAuthenticationFailure(remoteAddress, failure)
                }
            case .timeout:
                services.metrics.handshake("timeout")
            case .protocolError(let error):
                services.metrics.handshake("protocol_error")
                services.metrics.protocolError(error.kind)
            case .peerClosed:
                services.metrics.handshake("aborted")
            }
        } else {
            endOpenStreams(code: reason.code)
            services.metrics.sessionClosed(reason.code.name.lowercased())
            if case .protocolError(let error) = reason { services.metrics.protocolError(error.kind) }
        }
        if case .protocolError(let error) = reason {
            services.logger.debug("connection closed", metadata: ["remote": "\(remoteAddress)", "error": "\(error)"])
        }
        closeTransport()
    }

    /// Writes what the core still has (a final CLOSE), then closes TCP once it is out.
    private func closeTransport() {
        guard !closing, let context else { return }
        closing = true
        timer?.cancel()
        timer = nil
        let bytes = connection.takeOutbound()
        guard !bytes.isEmpty else {
            context.close(promise: nil)
            return
        }
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: promise)
        let channel = context.channel
        promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    // MARK: Output

    /// Moves the core's outbound bytes to the channel. Flushes at once unless a read is being
    /// handled (then the end of `channelRead`, or `channelReadComplete`, flushes).
    private func writeOutbound() {
        guard let context, !closing, !connection.outbound.isEmpty else { return }
        var buffer = context.channel.allocator.buffer(capacity: connection.outbound.count)
        connection.drainOutbound { buffer.writeBytes($0) }
        context.write(wrapOutboundOut(buffer), promise: nil)
        if !inReadBatch { context.flush() }
        let buffered = (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
        if buffered > services.configuration.outboundLimit {
            // The peer stopped reading: close instead of holding more of its data.
            services.metrics.slowConsumerCloses.increment()
            connection.close(code: .slowConsumer, reason: "slow consumer", now: monotonicNow())
            finish(.local(.slowConsumer))
        }
    }

    // MARK: Commands from the registry (always on this channel's event loop)

    /// Sends or queues a message on an open stream; false when it is not open, or when the
    /// session's queue is full (then the stream is closed with SLOW_CONSUMER).
    func deliver(stream: UInt32, message: [UInt8]) -> Bool {
        guard !closing else { return false }
        switch connection.sendData(stream: stream, payload: message, now: monotonicNow()) {
        case .sent:
            writeOutbound()
            return true
        case .queued:
            return true
        case .streamNotOpen, .tooLarge:
            return false
        case .queueFull:
            services.metrics.slowConsumerCloses.increment()
            _ = closeStream(stream, code: .slowConsumer, reason: "slow consumer")
            return false
        }
    }

    func closeStream(_ stream: UInt32, code: CloseCode, reason: String) -> Bool {
        guard !closing, connection.closeStream(stream, code: code, reason: reason, now: monotonicNow()) else { return false }
        streamEnded(stream, code: code)
        writeOutbound()
        publish()
        return true
    }

    func closeSession(code: CloseCode, reason: String) -> Bool {
        guard !closing else { return false }
        connection.close(code: code, reason: reason, now: monotonicNow())
        finish(.local(code))
        return true
    }

    // MARK: Timer and bookkeeping

    /// Keeps one timer at the core's next deadline. Activity only moves deadlines later, so a
    /// timer that fires early just ticks and re-arms; it is moved only when a deadline comes
    /// earlier than the armed one.
    private func scheduleTimer() {
        guard !closing, let context, let deadline = connection.nextDeadline else { return }
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
        guard !closing else { return }
        handle(connection.tick(now: monotonicNow()))
        writeOutbound()
        publish()
        scheduleTimer()
    }

    private func releaseHandshakeSlot() {
        guard holdsHandshakeSlot else { return }
        holdsHandshakeSlot = false
        services.gate.release()
        services.registry.handshakeEnded()
    }

    private func streamContext(_ stream: UInt32) -> StreamContext? {
        guard let handle, let session = connection.session else { return nil }
        return StreamContext(streamID: stream, sessionID: session.sessionID, clientID: session.clientID, role: session.role,
                             services: services, handle: handle)
    }

    /// Publishes counters to the registry and adds this batch's traffic to the metrics.
    private func publish() {
        let statistics = connection.statistics
        services.metrics.traffic(from: published, to: statistics)
        published = statistics
        guard let handle else { return }
        let streams = connection.streams.values.sorted { $0.id < $1.id }.map { state in
            StreamSnapshot(id: state.id, kind: services.router.handler(for: state.id)?.kind ?? "unknown",
                           openedAt: date(state.openedAt), lastActivityAt: date(state.lastActivity),
                           bytesIn: state.bytesIn, bytesOut: state.bytesOut, framesIn: state.framesIn, framesOut: state.framesOut,
                           sendWindow: state.sendWindow.available, receiveWindow: state.receiveWindow.available)
        }
        let lastActivity = streams.map(\.lastActivityAt).max() ?? handle.connectedAt
        handle.publish(LiveSessionState(lastActivityAt: max(lastActivity, date(connection.lastReceived ?? acceptedAt)),
                                        statistics: statistics, keyEpoch: connection.sendKeyEpoch, streams: streams))
    }

    private func date(_ monotonic: Double) -> Date {
        Date(timeIntervalSince1970: monotonic + wallOffset)
    }
}

/// Seconds on the monotonic clock, the time base the core's deadlines use.
func monotonicNow() -> Double {
    Double(NIODeadline.now().uptimeNanoseconds) / 1e9
}
