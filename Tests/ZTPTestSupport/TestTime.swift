import Foundation

/// How long the tests' waiting helpers wait: their timeouts times `ZTP_TEST_TIME_SCALE`
/// (default 1). `make test-tsan` sets 4: a test process under ThreadSanitizer runs several times
/// slower, and a helper that gives up waiting for a message is not what that run is about.
public enum TestTime {
    public static let scale: Double = ProcessInfo.processInfo.environment["ZTP_TEST_TIME_SCALE"].flatMap(Double.init) ?? 1

    public static func scaled(_ duration: Duration) -> Duration {
        duration * scale
    }
}
