extension UnsafeRawBufferPointer {
    /// The bytes as libsodium wants them. libsodium's pointer parameters are non-optional even
    /// for zero-length input, so an empty buffer yields a valid dummy address that is never read.
    var u8: UnsafePointer<UInt8> {
        if let base = baseAddress { return base.assumingMemoryBound(to: UInt8.self) }
        return UnsafePointer(emptyByte)
    }
}

extension UnsafeMutableRawBufferPointer {
    var u8: UnsafeMutablePointer<UInt8> {
        if let base = baseAddress { return base.assumingMemoryBound(to: UInt8.self) }
        return emptyByte
    }
}

nonisolated(unsafe) private let emptyByte = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
