/// Big-endian integer access on raw bytes (ZTP-1 section 1: all integers are big-endian).
extension UnsafeRawBufferPointer {
    @inline(__always)
    func readUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always)
    func readUInt32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }

    @inline(__always)
    func readUInt64(at offset: Int) -> UInt64 {
        UInt64(readUInt32(at: offset)) << 32 | UInt64(readUInt32(at: offset + 4))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func write(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }

    @inline(__always)
    func write(_ value: UInt32, at offset: Int) {
        write(UInt16(truncatingIfNeeded: value >> 16), at: offset)
        write(UInt16(truncatingIfNeeded: value), at: offset + 2)
    }

    @inline(__always)
    func write(_ value: UInt64, at offset: Int) {
        write(UInt32(truncatingIfNeeded: value >> 32), at: offset)
        write(UInt32(truncatingIfNeeded: value), at: offset + 4)
    }
}

extension Array where Element == UInt8 {
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8)); append(UInt8(truncatingIfNeeded: value))
    }

    mutating func appendBigEndian(_ value: UInt32) {
        appendBigEndian(UInt16(truncatingIfNeeded: value >> 16)); appendBigEndian(UInt16(truncatingIfNeeded: value))
    }

    mutating func appendBigEndian(_ value: UInt64) {
        appendBigEndian(UInt32(truncatingIfNeeded: value >> 32)); appendBigEndian(UInt32(truncatingIfNeeded: value))
    }
}
