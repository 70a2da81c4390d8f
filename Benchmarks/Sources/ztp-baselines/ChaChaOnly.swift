import Foundation

/// Makes BoringSSL negotiate TLS_CHACHA20_POLY1305_SHA256, the suite ZTP's frames use.
///
/// BoringSSL does not let TLS 1.3 suites be configured, and swift-nio-ssl exposes no knob: a
/// client on a CPU with AES instructions offers AES-GCM first, and a server there defers to the
/// client. Masking the AES-NI bit from BoringSSL's CPU detection (`OPENSSL_ia32cap`, read once
/// at its start-up) makes both sides prefer ChaCha20-Poly1305, whose own code paths (AVX2,
/// AVX-512) are untouched. The variable must be set before BoringSSL starts, so a process
/// without it starts itself again with it. `ServerHelloSniffer` then checks what was chosen.
enum ChaChaOnly {
    static let variable = "OPENSSL_ia32cap"
    /// ~(1 << 57): CPUID.1:ECX bit 25, AES-NI, in the mask's first 64-bit word.
    static let mask = "~0x200000000000000"
    static let suite: UInt16 = 0x1303

    /// Returns if the mask is in place; otherwise replaces this process with one that has it.
    static func ensure() throws {
        guard getenv(variable) == nil else { return }
        setenv(variable, mask, 1)
        let executable = try ownExecutable()
        var arguments = CommandLine.arguments.map { strdup($0) } + [nil]
        execv(executable, &arguments)
        throw BaselineError("cannot start \(executable) again: \(String(cString: strerror(errno)))")
    }

    static func ownExecutable() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }
}
