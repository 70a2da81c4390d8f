import Foundation
import NIOCore
import ZTPCore
import ZTPNIO

/// Puts one ZTP connection on a NIO channel: bytes in, the core's events out, bytes back.
///
/// Thin on purpose: protocol decisions are the core's (`ServerConnection`); this class only
/// moves bytes, runs the one timer the core asks for, routes stream events to handlers, and
/// keeps the registry and metrics informed. Handler replies are flushed once per read batch;
/// the core's own bytes (credit, PONG, CLOSE) at the end of the read that produced them, so
/// that credit is not held back behind a batch of reads.
///
/// Once it decides to end the connection (any CLOSE on stream 0, a refusal, a disconnect) it
/// leaves the registry, stops its timer and its reads at once, and closes TCP when the last
/// bytes are out or after `closeDeadline`, whichever comes first (section 2.0).
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let services: ServerServices
    private var connection: ServerConnection
    private var context: ChannelHandlerContext?
    private(set) var handle: SessionHandle?
    /// The peer's IP: what admission limits and failed authentications are counted by.
    private var remoteAddress = "unknown"
    /// The peer's `ip:port`: what the registry and logs show, so two clients behind one
    /// address can be told apart.
    private var remoteEndpoint = "unknown"
    /// Holding a handshake slot in the gate and the registry.
    private var holdsHandshakeSlot = false
    /// Listed in the registry (from `established` until the decision to close).
    private var registered = false
    /// `session.opened` was published and `session.closed` not yet.
    private var announced = false
    /// The reason text this side sent with its CLOSE on stream 0, for `session.closed`.
    private var closeReason: String?
    private var timer: Scheduled<Void>?
    /// Closes TCP if the final bytes have not gone out in time.
    private var closeTimer: Scheduled<Void>?
    /// Chat messages this session sent and their fan-out (see `post`).
    private var chatOutbox = ChatOutbox()
    /// Reading is paused while chat posts wait behind a batch in flight.
    private var pausedForChat = false
    /// `startChatBatch` is running (a batch that completes inside it must not re-enter it).
    private var startingChatBatches = false
    /// Chat messages not yet announced in a `chat.sent` event, and the timer that announces them.
    private var chat = ChatActivity()
    private var chatStream: UInt32 = 0
    private var chatTimer: Scheduled<Void>?
    private var timerDeadline = Double.infinity
    private var inReadBatch = false
    private var closing = false
    private var published = SessionStatistics()
    /// Streams open here, counted in `ztp_streams_active`. Kept here because the core forgets
    /// its streams once the session closes: streams that end with their session are ended from
    /// this set (metrics and the handler's `closed`). At most `max_streams` ids.
    private var openStreams = Set<UInt32>()
    /// What the connection reported in the current read, kept between reads (see `channelRead`).
    private var events: [ConnectionEvent] = []
    private let acceptedAt: Double
    /// Wall-clock minus monotonic seconds, to show monotonic instants as dates.
    private let wallOffset: Double

    init(services: ServerServices) {
        self.services = services
        let now = monotonicNow()
        acceptedAt = now
        wallOffset = Date().timeIntervalSince1970 - now
        let registry = services.registry
        // The per-client cap is taken after the token check passes, as a reservation that the
        // session's registration then holds (released by `remove`).
        let handshake = ServerHandshake(configuration: services.configuration.handshakeConfiguration,
                                        identity: services.identity, verifier: services.verifier, acceptedAt: now,
                                        sessionAdmission: { claims in
                                            registry.reserveSession(clientID: claims.subject) ? nil : .tooManySessions
                                        })
        connection = ServerConnection(server: handshake, admission: services.router.admission(policy: services.policy))
    }

    // MARK: Channel events

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        remoteAddress = context.remoteAddress?.ipAddress ?? "unknown"
        remoteEndpoint = context.remoteAddress?.hostPort ?? "unknown"
        guard services.registry.admitConnection() else {
            services.metrics.connectionsRejected.increment()
            services.metrics.handshake("capacity")
            closing = true
            context.close(promise: nil)
            return
        }
        // Fail closed: a revocation list that has not caught up with the fleet's database for
        // longer than allowed might let a revoked token in. Sessions already open go on.
        if services.revocations.isStale(now: acceptedAt) {
            services.registry.handshakeEnded()
            services.metrics.handshake("revocations_stale")
            closing = true
            context.close(promise: nil)
            return
        }
        let decision = services.gate.admit(address: remoteAddress, now: acceptedAt)
        switch decision {
        case .admitted:
            holdsHandshakeSlot = true
            scheduleTimer()
        case .tooManyHandshakes, .tooManyFromAddress, .rateLimited:
            services.registry.handshakeEnded()
            services.metrics.handshake("rate_limited")
            services.metrics.peerLimit(decision.reason)
            closing = true
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let now = monotonicNow()
        let wasEstablished = connection.isEstablished
        connection.receive(buffer, now: now, into: &events)
        inReadBatch = true
        handle(events)
        inReadBatch = false
        // Emptied before the next read: DATA payloads are slices of the connection's receive
        // buffer, which would be copied if still shared when the next read is appended to it.
        // The capacity stays for reads of steady traffic, so they allocate nothing; the
        // handshake's is let go, so that an idle session keeps none.
        events.removeAll(keepingCapacity: wasEstablished && connection.isEstablished)
        if !chatOutbox.isEmpty { startChatBatch() }
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
        closeTimer?.cancel()
        closeTimer = nil
        chatOutbox.removeAll()
        chatTimer?.cancel()
        chatTimer = nil
        releaseHandshakeSlot()
        if handle != nil {
            leaveRegistry()
            announceChat(closing: true)
            // Still open: the connection ended without a CLOSE (a CLOSE ended them in `finish`).
            endOpenStreams(code: nil)
            if !closing { services.metrics.sessionClosed("disconnected") }
            announceClose(code: ServerEvent.disconnected, reason: nil)
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
        // Once this side has decided to close (e.g. the revocation check in `established`),
        // the rest of the batch is not acted on.
        for event in events where !closing {
            switch event {
            case .established(let info):
                established(info)
            case .streamOpened(let id):
                services.metrics.streamStarted()
                openStreams.insert(id)
                announce(.streamOpened, stream: id, code: nil)
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
        guard let context else {
            services.registry.cancelReservation(clientID: info.clientID)
            return
        }
        services.metrics.sessionStarted()
        let handle = SessionHandle(info: info, remoteAddress: remoteEndpoint,
                                   connectedAt: Date(timeIntervalSince1970: acceptedAt + wallOffset),
                                   eventLoop: context.eventLoop, connection: self)
        self.handle = handle
        services.registry.register(handle)
        registered = true
        announced = true
        services.events.publish(.sessionOpened, sessionID: info.sessionID, clientID: info.clientID, role: info.role,
                                remoteAddress: remoteEndpoint)
        services.logger.info("session established", metadata: ["session": "\(info.sessionID)", "client": "\(info.clientID)",
                                                                "role": "\(info.role)", "remote": "\(remoteEndpoint)"])
        // Section 3.5: a revocation that ran between the token check and the registration
        // found no session to close; now that the session is visible, look again. (The
        // revocation path adds to the list before it looks for sessions, so one of the two
        // always sees the other.)
        if services.revocations.contains(info.tokenID) {
            _ = closeSession(code: .tokenRevoked, reason: "token revoked")
        }
    }

    /// - Parameter code: nil when the connection ended without a CLOSE.
    private func streamEnded(_ id: UInt32, code: CloseCode?) {
        guard openStreams.remove(id) != nil else { return }
        services.metrics.streamClosed(code.map { $0.name.lowercased() } ?? "disconnected")
        services.metrics.streamLeft()
        announce(.streamClosed, stream: id, code: code?.name ?? ServerEvent.disconnected)
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
                if code == .tooManySessions { services.metrics.peerLimit("sessions_per_client") }
                if let failure = connection.handshake.authenticationFailure {
                    services.onAuthenticationFailure(remoteAddress, failure)
                }
            case .timeout:
                if connection.handshake.awaitsClientHello {
                    services.metrics.handshake("client_hello_timeout")
                    services.metrics.peerLimit("client_hello_timeout")
                } else {
                    services.metrics.handshake("timeout")
                }
            case .protocolError(let error):
                services.metrics.handshake("protocol_error")
                services.metrics.protocolError(error.kind)
            case .peerClosed:
                services.metrics.handshake("aborted")
            }
        } else {
            announceChat(closing: true)
            endOpenStreams(code: reason.code)
            services.metrics.sessionClosed(reason.code.name.lowercased())
            announceClose(code: reason.code.name, reason: text(of: reason))
            if case .protocolError(let error) = reason { services.metrics.protocolError(error.kind) }
        }
        if case .protocolError(let error) = reason {
            services.logger.debug("connection closed", metadata: ["remote": "\(remoteAddress)", "error": "\(error)"])
        }
        closeTransport()
    }

    /// Section 2.0: "A side that has sent CLOSE on stream 0 closes TCP within 2 seconds,
    /// whether or not its peer has taken what was written." The timer fires with room to spare.
    static let closeDeadline: TimeAmount = .seconds(1)

    /// Releases what the session holds, writes what the core still has (a final CLOSE), and
    /// closes TCP once it is out or at `closeDeadline`, whichever is first.
    private func closeTransport() {
        guard !closing, let context else { return }
        closing = true
        timer?.cancel()
        timer = nil
        chatOutbox.removeAll()
        leaveRegistry()
        // Nothing more is read: a peer that keeps sending costs nothing while the close drains.
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
        let bytes = connection.takeOutboundBuffer()
        guard bytes.readableBytes > 0 else {
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: promise)
        promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
        closeTimer = context.eventLoop.scheduleTask(in: Self.closeDeadline) { channel.close(promise: nil) }
    }

    /// Takes the session out of the registry (at the decision to close, not when TCP is gone).
    private func leaveRegistry() {
        guard registered, let handle else { return }
        registered = false
        services.registry.remove(handle)
        services.metrics.sessionLeft()
    }

    // MARK: Events

    /// A stream's event; streams exist only within an announced session.
    private func announce(_ type: ServerEvent.Kind, stream: UInt32, code: String?) {
        guard let handle else { return }
        services.events.publish(type, sessionID: handle.id, clientID: handle.clientID, role: handle.role,
                                streamID: stream, streamKind: services.router.handler(for: stream)?.kind ?? "unknown",
                                code: code)
    }

    /// The CLOSE reason text that went with `reason`, where this side knows it.
    private func text(of reason: ConnectionCloseReason) -> String? {
        switch reason {
        case .peerClosed(_, let text): return text
        case .local: return closeReason
        case .protocolError(let error): return error.diagnostic
        case .timeout: return nil
        }
    }

    /// Counts a chat message this session sent on `stream`, for `chat.sent` (see `ChatActivity`).
    func chatSent(stream: UInt32, bytes: Int) {
        guard announced, let context else { return }
        chatStream = stream
        switch chat.add(bytes: bytes, now: monotonicNow()) {
        case .announce:
            announceChat()
        case .announceAt(let instant):
            let delay = max(0, instant - monotonicNow())
            chatTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) {
                self.announceChat()
            }
        case .gathering:
            break
        }
    }

    /// - Parameter closing: the session is ending: announce regardless of the server's budget
    ///   (bounded by the sessions that end, each of which publishes `session.closed` anyway).
    private func announceChat(closing: Bool = false) {
        chatTimer?.cancel()
        chatTimer = nil
        guard announced, let handle, chat.gathered > 0 else { return }
        let now = monotonicNow()
        if !closing, !services.chatEvents.take(now: now), let context {
            let retryAt = chat.postpone(now: now)
            chatTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64((retryAt - now) * 1e9))) {
                self.announceChat()
            }
            return
        }
        guard let gathered = chat.take(now: now) else { return }
        services.events.publish(.chatSent, sessionID: handle.id, clientID: handle.clientID, role: handle.role,
                                streamID: chatStream, streamKind: services.router.handler(for: chatStream)?.kind,
                                count: gathered.messages,
                                detail: "\(gathered.messages) message\(gathered.messages == 1 ? "" : "s"), \(gathered.bytes) bytes")
    }

    /// `session.closed`, once per announced session.
    private func announceClose(code: String, reason: String?) {
        guard announced, let handle else { return }
        announced = false
        services.events.publish(.sessionClosed, sessionID: handle.id, clientID: handle.clientID, role: handle.role,
                                remoteAddress: remoteEndpoint, code: code, reason: reason.flatMap { $0.isEmpty ? nil : $0 })
    }

    // MARK: Output

    /// Moves the core's outbound bytes to the channel. Flushes at once unless a read is being
    /// handled (then the end of `channelRead`, or `channelReadComplete`, flushes).
    private func writeOutbound() {
        guard let context, !closing, connection.hasOutbound else { return }
        // The buffer the frames were sealed into is written as it is.
        context.write(wrapOutboundOut(connection.takeOutboundBuffer()), promise: nil)
        if !inReadBatch { context.flush() }
        let buffered = (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
        if buffered > services.configuration.outboundLimit {
            // The peer stopped reading: close instead of holding more of its data.
            services.metrics.slowConsumerCloses.increment()
            closeReason = "slow consumer"
            connection.close(code: .slowConsumer, reason: "slow consumer", now: monotonicNow())
            finish(.local(.slowConsumer))
        }
    }

    // MARK: Commands from the registry (always on this channel's event loop)

    /// Sends or queues a message on an open stream; false when it is not open, or when the
    /// session's queue is full (then the stream is closed with SLOW_CONSUMER).
    func deliver(stream: UInt32, message: [UInt8]) -> Bool {
        deliver(stream: stream, messages: CollectionOfOne(message)) == 1
    }

    /// Sends or queues messages in order, flushed once; says how many, from the first, were
    /// taken. The rest were not: the stream is not open, or the session's queue filled (then
    /// the stream is closed with SLOW_CONSUMER).
    func deliver(stream: UInt32, messages: some Collection<[UInt8]>) -> Int {
        guard !closing else { return 0 }
        let now = monotonicNow()
        var taken = 0
        sending: for message in messages {
            switch connection.sendData(stream: stream, payload: message, now: now) {
            case .sent, .queued:
                taken += 1
            case .streamNotOpen, .tooLarge:
                break sending
            case .queueFull:
                writeOutbound()
                services.metrics.slowConsumerCloses.increment()
                _ = closeStream(stream, code: .slowConsumer, reason: "slow consumer")
                return taken
            }
        }
        writeOutbound()
        return taken
    }

    /// Queues a chat message this session sent for fan-out. Posts go out in batches, one in
    /// flight at a time (see `ChatOutbox`); those of one read start together when it has been
    /// handled, and while posts wait behind a batch the session is not read, so TCP pushes back
    /// on the sender instead of queues growing.
    func post(_ post: ChatPost) {
        guard !closing else { return }
        if chatOutbox.add(post) { services.metrics.chatFanOutsHeld.increment() }
        if !inReadBatch { startChatBatch() }
    }

    private func startChatBatch() {
        // A batch whose recipients were all on this loop completes inside `deliver`; its
        // completion's call here returns at once and the loop below takes the next batch.
        guard !startingChatBatches else { return }
        startingChatBatches = true
        while !closing, let context, let handle,
              let batch = chatOutbox.nextBatch(maxDeliveries: services.configuration.chatDeliveriesPerSender) {
            let metrics = services.metrics
            let delivered = batch[0].post.room.deliver(batch.map { ($0.post.message, $0.audience) }, from: handle.id,
                                                       senderLoop: context.eventLoop) { metrics.chatFanOutTasks.increment() }
            delivered.assumeIsolated().whenComplete { result in
                let counts = (try? result.get()) ?? Array(repeating: 0, count: batch.count)
                self.chatOutbox.finished()
                for (entry, count) in zip(batch, counts) { entry.post.completed(count) }
                self.startChatBatch()
            }
        }
        startingChatBatches = false
        // A closing connection stays unread (`closeTransport`), whatever chat was waiting.
        guard !closing else { return }
        let pause = chatOutbox.isHolding
        if pause != pausedForChat {
            pausedForChat = pause
            setReading(!pause)
        }
    }

    private func setReading(_ on: Bool) {
        guard let context else { return }
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: on)
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
        closeReason = reason
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
        services.gate.release(address: remoteAddress)
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
public func monotonicNow() -> Double {
    Double(NIODeadline.now().uptimeNanoseconds) / 1e9
}
