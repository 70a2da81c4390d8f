import Foundation
import Testing
import ZTPTestSupport

/// The real server gives its free heap back to the kernel on a timer, and says so on `/metrics`.
@Suite("Heap trimming")
struct HeapTrimTests {
    @Test("the server trims its heap every ten seconds, timing each pass, and reports the heap beside RSS")
    func trimsOnATimer() async throws {
        try await withServer { server in
            let admin = try AdminAPI(server)
            let deadline = ContinuousClock.now + TestTime.scaled(.seconds(25))
            var passes = 0.0
            repeat {
                passes = try await admin.metric("ztp_heap_trim_duration_seconds_count")
                if passes >= 1 { break }
                try await Task.sleep(for: .milliseconds(500))
            } while ContinuousClock.now < deadline
            #expect(passes >= 1, "no trim within 25 s of the start")
            // A pass over an idle server's arenas takes well under a millisecond; a tenth of a
            // second would stall the event loops that allocate meanwhile.
            let seconds = try await admin.metric("ztp_heap_trim_duration_seconds_sum")
            #expect(seconds / max(passes, 1) < 0.1 * TestTime.scale, "\(seconds) s over \(passes) passes")
            if !Sanitizer.thread {
                let inUse = try await admin.metric("ztp_heap_in_use_bytes")
                let resident = try await admin.metric("process_resident_memory_bytes")
                #expect(inUse > 0 && inUse < resident, "heap in use \(inUse) of RSS \(resident)")
            }
        }
    }
}
