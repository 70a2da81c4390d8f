import CSodium

/// The one place that knows libsodium must be initialised before first use.
///
/// `sodium_init` is idempotent and thread-safe; the static `let` makes sure it runs once
/// before any wrapper calls into the library.
enum Sodium {
    static let ready: Bool = {
        let result = sodium_init()
        // 1 means "already initialised"; -1 means the library could not start (no entropy).
        precondition(result >= 0, "libsodium failed to initialise")
        return true
    }()

    @inline(__always)
    static func ensureReady() {
        _ = ready
    }
}
