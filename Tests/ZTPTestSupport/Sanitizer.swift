import Foundation

/// Whether the tests run under ThreadSanitizer (`scripts/test-tsan.sh` sets `TSAN_OPTIONS` for the
/// test process and every server it starts). TSan brings its own allocator: glibc's heap
/// figures (`ztp_heap_*`) then describe a heap nobody uses.
public enum Sanitizer {
    public static let thread = ProcessInfo.processInfo.environment["TSAN_OPTIONS"] != nil
}
