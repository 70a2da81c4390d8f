import Foundation

/// A channel that holds at most one element: `send` waits until the receiver has taken the
/// previous one. Several senders (events, heartbeats) feed one receiver (the response body)
/// with no buffer between them, so what the client does not read stays back in the sender's
/// own bounded queue, where the event hub sees it.
final class Rendezvous<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slot: Element?
    private var finished = false
    private var receiver: CheckedContinuation<Element?, Never>?
    private var senders: [CheckedContinuation<Void, Never>] = []

    /// Hands `element` over; false once the channel is finished (then the element is dropped).
    func send(_ element: Element) async -> Bool {
        while true {
            let outcome: (accepted: Bool, wait: Bool, receiver: CheckedContinuation<Element?, Never>?) = lock.withLock {
                if finished { return (false, false, nil) }
                if let receiver {
                    self.receiver = nil
                    return (true, false, receiver)
                }
                if slot == nil {
                    slot = element
                    return (true, false, nil)
                }
                return (false, true, nil)
            }
            if let receiver = outcome.receiver {
                receiver.resume(returning: element)
                return true
            }
            if !outcome.wait { return outcome.accepted }
            await withCheckedContinuation { continuation in
                let resumeNow = lock.withLock {
                    if finished || slot == nil { return true }
                    senders.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// The next element; nil once finished (or when the receiving task is cancelled).
    func receive() async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let (immediate, wake): (Element??, CheckedContinuation<Void, Never>?) = lock.withLock {
                    if let element = slot {
                        slot = nil
                        return (.some(element), senders.isEmpty ? nil : senders.removeFirst())
                    }
                    if finished { return (.some(nil), nil) }
                    receiver = continuation
                    return (nil, nil)
                }
                wake?.resume()
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            finish()
        }
    }

    /// Ends the channel: a waiting receiver gets nil, waiting senders false.
    func finish() {
        let (receiver, senders) = lock.withLock {
            finished = true
            defer {
                self.receiver = nil
                self.senders = []
            }
            return (self.receiver, self.senders)
        }
        receiver?.resume(returning: nil)
        for sender in senders { sender.resume() }
    }
}
