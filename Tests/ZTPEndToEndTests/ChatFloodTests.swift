import Foundation
import ZTPTestSupport
import Testing
import ZTPClient
import ZTPCore

/// One sender flooding chat at line rate to many listeners: its deliveries in flight are
/// bounded (`--chat-deliveries-per-sender`), so the server's memory stays flat-ish and other
/// sessions keep being served promptly.
@Suite("Chat floods")
struct ChatFloodTests {
    static let listeners = 50
    static let messages = 1_500

    @Test("a chat flood to 50 listeners: memory stays flat, every message is delivered, the sender is held back, a bystander is served")
    func floodWithListeners() async throws {
        try await withServer(["--chat-deliveries-per-sender", "400"]) { server in
            let admin = try AdminAPI(server)
            let received = Tally()
            var listeners: [ZTPClient] = []
            var readers: [Task<Void, Never>] = []
            for index in 0..<Self.listeners {
                let client = try await server.connect("listener\(index)")
                let chat = try await client.openStream(1)
                listeners.append(client)
                readers.append(Task {
                    do { for try await _ in chat { received.add() } } catch {}
                })
            }
            let bystander = try await Participant.join(server, "bystander", chat: false)
            let sender = try await server.connect("flooder")
            let chat = try await sender.openStream(1)
            let replies = Tally()
            let replyReader = Task {
                do { for try await _ in chat { replies.add() } } catch {}
            }
            try await Task.sleep(for: .milliseconds(500))
            let baseline = try await admin.metric("process_resident_memory_bytes")

            // The sender does not wait for its replies: as fast as the client library hands over.
            let flooding = Task {
                let body = String(repeating: "f", count: 200)
                for index in 0..<Self.messages {
                    do { try await chat.send("\(index) \(body)") } catch { return index }
                }
                return Self.messages
            }
            var peak = baseline
            var pings: [Duration] = []
            let deadline = ContinuousClock.now + .seconds(90)
            while replies.value < Self.messages || pings.count < 20, ContinuousClock.now < deadline {
                let start = ContinuousClock.now
                #expect(try await bystander.request("ping") == "pong")
                pings.append(ContinuousClock.now - start)
                peak = max(peak, try await admin.metric("process_resident_memory_bytes"))
                try await Task.sleep(for: .milliseconds(100))
            }
            let sent = await flooding.value
            let sorted = pings.sorted()
            let p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
            let growth = (peak - baseline) / 1_048_576
            print("chat flood: \(sent) messages to \(Self.listeners) listeners; RSS \(Int(baseline / 1_048_576)) MiB, peak +\(Int(growth)) MiB; bystander ping p50 \(sorted[sorted.count / 2]) p99 \(p99) over \(pings.count)")
            #expect(sent == Self.messages)
            // Every message was fanned out and answered: the sender is held back, never dropped.
            #expect(replies.value == Self.messages, "\(replies.value) of \(Self.messages) replies")
            let everyone = ContinuousClock.now + .seconds(10)
            while received.value < Self.messages * Self.listeners, ContinuousClock.now < everyone {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(received.value == Self.messages * Self.listeners)
            #expect(try await admin.metric("ztp_chat_fanouts_held_total") > 0, "the per-sender bound held the sender back")
            // Nothing in the server grows with the sender's rate (the listeners read as it goes).
            // Without the per-sender bound every delivery is queued at once (measured: 18 MiB
            // more for 1,000 such messages); with it, about 1.
            #expect(growth < 12, "RSS grew by \(growth) MiB during the flood")
            // Served all along (each ping is answered within the inbox's 5 s, or the request
            // throws). The typical wait is the bound: an unbounded backlog of deliveries on the
            // bystander's event loop would put most pings behind it. The tail is left loose:
            // on a shared 2-core machine, with 50 listeners in this process, it is the machine's.
            #expect(sorted[sorted.count / 2] < .milliseconds(500), "bystander ping p50 \(sorted[sorted.count / 2]) during the flood")
            await sender.close()
            replyReader.cancel()
            for client in listeners { await client.close() }
            for reader in readers { reader.cancel() }
        }
    }
}

/// A count shared with reader tasks.
final class Tally: Sendable {
    private let count = LockedBox(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
