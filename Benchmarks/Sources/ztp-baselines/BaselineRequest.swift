import NIOCore

/// What a client asks of the server, in its first 13 bytes: an operation, a byte count and a
/// write size.
struct BaselineRequest {
    enum Operation: UInt8 {
        /// The client sends `count` bytes; the server answers one byte once all are in.
        case upload = 0x55
        /// The server sends `count` bytes in writes of `chunk`.
        case download = 0x44
        /// The server echoes everything, until the client closes.
        case echo = 0x45
    }

    static let size = 13
    var operation: Operation
    var count: UInt64
    var chunk: UInt32

    func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(operation.rawValue)
        buffer.writeInteger(count)
        buffer.writeInteger(chunk)
    }

    init(operation: Operation, count: UInt64, chunk: UInt32) {
        self.operation = operation
        self.count = count
        self.chunk = chunk
    }

    /// Consumes the request from `buffer` once all of it is there.
    init?(from buffer: inout ByteBuffer) throws {
        guard buffer.readableBytes >= Self.size else { return nil }
        let raw = buffer.readInteger(as: UInt8.self)!
        guard let operation = Operation(rawValue: raw) else { throw BaselineError("unknown operation \(raw)") }
        self.init(operation: operation, count: buffer.readInteger()!, chunk: buffer.readInteger()!)
    }
}
