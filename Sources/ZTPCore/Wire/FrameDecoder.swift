import NIOCore

/// Splits the incoming byte stream into whole frames, checking each header as soon as its 24
/// bytes are in and before any of its payload is kept.
///
/// The bytes live in one `ByteBuffer` that is reused: consumed bytes are dropped before the
/// next append (the buffer is cleared when all were consumed, a partial frame is moved to the
/// front once a frame's worth lies before it), so in steady state appending allocates nothing.
/// An established session's frames are opened in this buffer (`open`), and a DATA payload is
/// handed on as a slice of it: the caller must let go of such slices before the next `append`,
/// or that append copies the buffer.
///
/// Memory is bounded: the buffer holds at most one frame (at most `FrameType.maxFrameSize`)
/// plus whatever the transport handed over in one read. After the first error the decoder
/// stays failed; the connection is closing anyway.
public struct FrameDecoder: Sendable {
    /// A whole frame as received: its checked header and all of its bytes, header included,
    /// since the header is the AEAD's associated data. A copy (handshake frames and tests).
    public struct RawFrame: Sendable {
        public var header: FrameHeader
        public var bytes: ArraySlice<UInt8>
        public var payload: ArraySlice<UInt8> { bytes.dropFirst(FrameHeader.size) }
    }

    private let sender: Role
    /// Unconsumed bytes from `readerIndex`; the frame last returned lies just before it until
    /// the next append.
    private var buffer: ByteBuffer
    private var pendingHeader: FrameHeader?
    private var failure: ZTPError?

    /// - Parameter sender: the side whose frames this decoder reads (the peer).
    public init(sender: Role) {
        self.sender = sender
        // NIO's empty buffer shares one zero-capacity storage: nothing is allocated until the
        // first append.
        buffer = ByteBuffer()
    }

    /// Lets go of the storage when no bytes are waiting. For the end of the handshake: its
    /// buffer was sized for the token, and an idle session should not keep it.
    mutating func releaseIfEmpty() {
        if buffer.readableBytes == 0 { buffer = ByteBuffer() }
    }

    /// Bytes not yet returned as part of a frame.
    public var bufferedCount: Int { buffer.readableBytes }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.writeBytes(bytes)
    }

    public mutating func append(_ bytes: ByteBuffer) {
        compact()
        buffer.writeImmutableBuffer(bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next whole frame, copied out, or nil when more bytes are needed. Throws on a header
    /// that breaks a rule; the payload of such a frame is never waited for.
    public mutating func next() throws(ZTPError) -> RawFrame? {
        guard let (header, start) = try nextFrame() else { return nil }
        let bytes = Array(buffer: consumed(at: start, length: FrameHeader.size + Int(header.length)))
        return RawFrame(header: header, bytes: bytes[...])
    }

    /// Opens the frame `nextFrame` just returned, in place with `opener`, and returns a slice of
    /// this buffer holding its plaintext payload: no copy and no allocation. The slice is valid
    /// until the next `append`.
    mutating func open(header: FrameHeader, at start: Int, with opener: inout FrameOpener) throws(ZTPError) -> ByteBuffer {
        let total = FrameHeader.size + Int(header.length)
        // Written through a pointer from the read-only accessor, on purpose: the storage may be
        // shared with slices of earlier frames of this read, which the events still hold, and the
        // mutating accessor would then copy it (and drop the consumed bytes, this frame among
        // them). Those slices cover other bytes, and this frame's were never handed out, so
        // nothing that anyone holds sees the change.
        let opened = buffer.withVeryUnsafeBytes { storage -> Result<Int, ZTPError> in
            do throws(ZTPError) {
                let frame = UnsafeMutableRawBufferPointer(mutating: UnsafeRawBufferPointer(rebasing: storage[start..<(start + total)]))
                return .success(try opener.openInPlace(header: header, frame: frame))
            } catch {
                return .failure(error)
            }
        }
        switch opened {
        case .success(let plaintextCount):
            return consumed(at: start + FrameHeader.size, length: plaintextCount)
        case .failure(let error):
            failure = error
            throw error
        }
    }

    /// The next whole frame's checked header and the index of its first byte; consumes it.
    mutating func nextFrame() throws(ZTPError) -> (FrameHeader, Int)? {
        if let failure { throw failure }
        if pendingHeader == nil {
            guard buffer.readableBytes >= FrameHeader.size else { return nil }
            let parsed = buffer.withUnsafeReadableBytes { readable -> Result<FrameHeader, ZTPError> in
                let headerBytes = UnsafeRawBufferPointer(rebasing: readable[0..<FrameHeader.size])
                do throws(ZTPError) { return .success(try FrameHeader.parse(headerBytes, sentBy: sender)) }
                catch { return .failure(error) }
            }
            switch parsed {
            case .success(let header): pendingHeader = header
            case .failure(let error):
                failure = error
                throw error
            }
        }
        guard let header = pendingHeader else { return nil }
        let total = FrameHeader.size + Int(header.length)
        guard buffer.readableBytes >= total else { return nil }
        let start = buffer.readerIndex
        buffer.moveReaderIndex(forwardBy: total)
        pendingHeader = nil
        return (header, start)
    }

    /// A slice of bytes already consumed (the frame just returned lies before `readerIndex`,
    /// which NIO's getters do not reach), sharing this buffer's storage.
    private func consumed(at index: Int, length: Int) -> ByteBuffer {
        var view = buffer
        view.moveReaderIndex(to: index)
        return view.readSlice(length: length)!
    }

    /// Drops consumed bytes before the buffer grows again. A partial frame is moved to the
    /// front only once at least a frame's worth has been consumed, so a large frame arriving in
    /// many reads is not moved on every read; the buffer stays below two frames plus one read.
    private mutating func compact() {
        guard buffer.readerIndex > 0 else { return }
        if buffer.readableBytes == 0 {
            buffer.clear()
        } else if buffer.readerIndex >= FrameType.maxFrameSize {
            buffer.discardReadBytes()
        }
    }
}
