import Foundation
import ZTPClient

/// The interactive prompt: stdin lines to streams 1 and 2, replies and chat to stdout.
struct Interactive {
    let client: ZTPClient
    static let controlWords: Set<String> = ["ping", "time", "status", "echo", "whoami", "help", "sessions"]

    func run() async throws {
        let chat = try await client.openStream(1)
        let control = try await client.openStream(2)
        printLine("connected as \(client.session.clientID) (\(client.session.role)), session \(client.sessionID)")
        printLine("control: ping time status echo whoami help sessions; anything else is chat; /quit leaves")
        let printer = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await Self.printAll(chat) }
                group.addTask { await Self.printAll(control) }
            }
        }
        let sessionEnd = Task {
            let reason = await client.closed()
            if reason.code == .closedByServer(.tokenExpired) {
                printLine("session ended: your token has expired. Get a new token (ask your administrator, or POST /v1/tokens) and connect again.")
            } else if reason.code != .closedLocally {
                printLine("session ended: \(reason)")
            }
            Foundation.exit(reason.code == .closedLocally ? 0 : 1)
        }
        for await line in StandardInput.lines() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if trimmed == "/quit" || trimmed == "/exit" { break }
            let word = trimmed.split(separator: " ", maxSplits: 1).first.map { $0.lowercased() } ?? ""
            do {
                if Self.controlWords.contains(word) {
                    try await control.send(trimmed)
                } else {
                    try await chat.send(trimmed)
                }
            } catch {
                printLine("error: \(error)")
                break
            }
        }
        sessionEnd.cancel()
        await client.close()
        printer.cancel()
    }

    private static func printAll(_ stream: ZTPStream) async {
        do {
            for try await message in stream {
                printLine(String(decoding: message, as: UTF8.self))
            }
        } catch {
            printLine("stream \(stream.id): \(error)")
        }
    }
}

/// Writes one line straight to stdout, unbuffered, so it shows at once even when stdout is a
/// pipe or a file. (Not `print` + `fflush(nil)`: flushing all streams also locks stdin, which
/// the reader thread holds while it waits in `readLine`, so output stalled, and the printing
/// task's thread blocked, until the next input line.)
private func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Lines from stdin without blocking the cooperative thread pool: a plain thread reads.
enum StandardInput {
    static func lines() -> AsyncStream<String> {
        AsyncStream { continuation in
            let thread = Thread {
                while let line = readLine(strippingNewline: true) {
                    continuation.yield(line)
                }
                continuation.finish()
            }
            thread.start()
        }
    }
}
