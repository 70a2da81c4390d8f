import ArgumentParser

/// `ztp-baselines`: TLS 1.3 over swift-nio-ssl, the transport a Swift user would otherwise put
/// under a service, measured the way `ztp-bench` measures ZTP (see docs/BENCHMARKS.md).
///
/// `bulk` and `ping` start `serve` as a child process, so that server and client run in two
/// processes as ZTP's do, and print one JSON object.
@main
struct BaselinesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ztp-baselines",
        abstract: "TLS 1.3 (ChaCha20-Poly1305) over swift-nio-ssl: bulk transfer and ping baselines.",
        subcommands: [ServeCommand.self, BulkCommand.self, PingCommand.self])
}

/// The certificate and key both sides need (PEM files; `ztp-bench` makes them with openssl).
struct CertificateOptions: ParsableArguments {
    @Option(help: "Server certificate, PEM")
    var cert: String

    @Option(help: "Server private key, PEM")
    var key: String
}
