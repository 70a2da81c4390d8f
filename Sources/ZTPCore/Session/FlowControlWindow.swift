/// One direction's flow-control window on one stream (ZTP-1 section 4.1).
///
/// Never negative and never above 2^31 - 1; both violations are the peer's fault and come
/// back as FLOW_CONTROL_ERROR.
public struct FlowControlWindow: Equatable, Sendable {
    public static let maximum: Int = 0x7FFF_FFFF

    public private(set) var available: Int

    public init(initial: Int) {
        precondition(initial >= 0 && initial <= FlowControlWindow.maximum)
        available = initial
    }

    /// Spends `count` bytes. "A receiver that sees more DATA than the window it has granted
    /// closes the session with FLOW_CONTROL_ERROR."
    public mutating func consume(_ count: Int) throws(ZTPError) {
        guard count <= available else {
            throw ZTPError(.flowControl, .flowControlError, "\(count) bytes against a window of \(available)")
        }
        available -= count
    }

    /// Adds credit. "An increment that takes a window above 2^31 - 1 is also FLOW_CONTROL_ERROR."
    public mutating func grant(_ increment: Int) throws(ZTPError) {
        guard increment <= FlowControlWindow.maximum - available else {
            throw ZTPError(.flowControl, .flowControlError, "increment \(increment) takes the window past 2^31-1")
        }
        available += increment
    }
}

/// Decides when a receiver gives credit back: once half the initial window has been consumed
/// by the application, as section 4.1 recommends, so WINDOW_UPDATEs stay rare.
struct InboundCredit: Sendable {
    let target: Int
    private(set) var consumed = 0

    init(target: Int) {
        self.target = target
    }

    /// Records consumed bytes; returns the increment to send when it is time.
    mutating func consume(_ count: Int) -> Int? {
        consumed += count
        guard consumed >= max(1, target / 2) else { return nil }
        defer { consumed = 0 }
        return consumed
    }
}
