import CSodium

/// Key material that is wiped from memory when the last reference goes away.
///
/// Swift arrays may be copied and moved by the runtime, so secrets live in one heap block that
/// we own and zero with `sodium_memzero` on deinit. The bytes never change after creation.
public final class SecretBytes: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer

    /// Copies `bytes` into wiped storage. The caller should wipe its own copy if it can.
    public init(_ bytes: some Collection<UInt8>) {
        storage = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        _ = UnsafeMutableRawBufferPointer(rebasing: storage[0..<bytes.count]).initializeMemory(as: UInt8.self, from: bytes)
        count = bytes.count
    }

    /// `count` random bytes from libsodium's CSPRNG.
    public init(randomCount: Int) {
        Sodium.ensureReady()
        storage = .allocate(byteCount: max(randomCount, 1), alignment: 16)
        randombytes_buf(storage.baseAddress!, randomCount)
        count = randomCount
    }

    public let count: Int

    deinit {
        sodium_memzero(storage.baseAddress!, storage.count)
        storage.deallocate()
    }

    /// Read access for the duration of `body`; the pointer must not escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(rebasing: storage[0..<count]))
    }

    /// A copy as an array, for values that must leave (writing a key file, test vectors).
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
