/// Splits the incoming byte stream into whole frames, checking each header as soon as its 24
/// bytes are in and before any of its payload is kept.
///
/// Memory is bounded: the buffer holds at most one frame (at most `FrameType.maxFrameSize`)
/// plus whatever the transport handed over in one read. After the first error the decoder
/// stays failed; the connection is closing anyway.
public struct FrameDecoder: Sendable {
    /// A whole frame as received: its checked header and all of its bytes, header included,
    /// since the header is the AEAD's associated data. `bytes` shares the decoder's storage.
    public struct RawFrame: Sendable {
        public var header: FrameHeader
        public var bytes: ArraySlice<UInt8>
        public var payload: ArraySlice<UInt8> { bytes.dropFirst(FrameHeader.size) }
    }

    private let sender: Role
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var pendingHeader: FrameHeader?
    private var failure: ZTPError?

    /// - Parameter sender: the side whose frames this decoder reads (the peer).
    public init(sender: Role) {
        self.sender = sender
    }

    /// Bytes not yet returned as part of a frame.
    public var bufferedCount: Int { buffer.count - readIndex }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        // Typed, the append is one copy of the block; from a raw buffer it is a loop per byte.
        bytes.withMemoryRebound(to: UInt8.self) { buffer.append(contentsOf: $0) }
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next whole frame, or nil when more bytes are needed. Throws on a header that breaks
    /// a rule; the payload of such a frame is never waited for.
    public mutating func next() throws(ZTPError) -> RawFrame? {
        if let failure { throw failure }
        if pendingHeader == nil {
            guard bufferedCount >= FrameHeader.size else { return nil }
            let start = readIndex
            let parsed = buffer.withUnsafeBytes { all -> Result<FrameHeader, ZTPError> in
                let headerBytes = UnsafeRawBufferPointer(rebasing: all[start..<(start + FrameHeader.size)])
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
        guard bufferedCount >= total else { return nil }
        let frame = RawFrame(header: header, bytes: buffer[readIndex..<(readIndex + total)])
        readIndex += total
        pendingHeader = nil
        return frame
    }

    /// Drops consumed bytes before the buffer grows again. A partial frame is moved to the
    /// front only once at least a frame's worth has been consumed, so a large frame arriving in
    /// many reads is not moved on every read; the buffer stays below two frames plus one read.
    private mutating func compact() {
        guard readIndex > 0 else { return }
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= FrameType.maxFrameSize {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
