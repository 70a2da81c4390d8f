import ArgumentParser

/// `ztp-bench`: the benchmark harness of issue 5.
///
/// `run` starts `serve` (a ZTP server with extra sink, echo and source streams) as its own
/// process on loopback, drives it from this process with the ZTPClient library, and compares
/// every figure with a baseline measured in the same invocation (TLS 1.3 through OpenSSL, the
/// libsodium crypto floor, a plain SwiftNIO TCP echo).
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ztp-bench",
        abstract: "ZTP benchmarks side by side with TLS 1.3, the crypto floor and a plain TCP echo.",
        subcommands: [RunCommand.self, ServeCommand.self, TCPEchoCommand.self, AcceptCloseCommand.self, SoakCommand.self,
                      PingProbeCommand.self],
        defaultSubcommand: RunCommand.self)
}
