import ArgumentParser
import NIOCore

/// `ztp-baselines bulk`: one transfer of `--bytes` in `--chunk`-byte writes over TLS 1.3, in
/// one direction, timed at the client from its first write to its last read (as
/// `scripts/tls_bulk.py` and ZTP's bulk scenarios). Prints
/// `{"direction", "bytes", "chunk", "seconds", "mb_per_s", "cipher", "version"}`.
struct BulkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bulk", abstract: "Time one bulk transfer.")

    @OptionGroup var certificate: CertificateOptions

    @Option(help: "up: the client sends; down: the server sends")
    var direction: String

    @Option(help: "Bytes to move")
    var bytes: Int

    @Option(help: "Bytes per write")
    var chunk = 65_536

    func run() async throws {
        try ChaChaOnly.ensure()
        guard direction == "up" || direction == "down" else { throw ValidationError("--direction is up or down") }
        let server = try ServerChild.start(certificate)
        defer { server.stop() }
        let connection = try await TLSClient.connect(port: server.port)
        let seconds = try await connection.executeThenClose { inbound, outbound in
            var request = ByteBuffer()
            BaselineRequest(operation: direction == "up" ? .upload : .download, count: UInt64(bytes), chunk: UInt32(chunk))
                .write(to: &request)
            let start = now()
            try await outbound.write(request)
            if direction == "up" {
                let block = ByteBuffer(repeating: 0xA5, count: chunk)
                var sent = 0
                while sent < bytes {
                    let size = min(chunk, bytes - sent)
                    try await outbound.write(size == chunk ? block : block.getSlice(at: 0, length: size)!)
                    sent += size
                }
                var replies = inbound.makeAsyncIterator()
                guard try await replies.next() != nil else { throw BaselineError("the server closed before confirming") }
            } else {
                var received = 0
                for try await buffer in inbound {
                    received += buffer.readableBytes
                    if received >= bytes { break }
                }
                guard received >= bytes else { throw BaselineError("the server closed after \(received) bytes") }
            }
            return now() - start
        }
        try printJSON([
            "direction": direction, "bytes": bytes, "chunk": chunk, "seconds": seconds,
            "mb_per_s": Double(bytes) / seconds / 1e6, "cipher": "TLS_CHACHA20_POLY1305_SHA256", "version": "TLSv1.3",
        ])
    }
}
