import NIOCore
import NIOSSL

/// TLS 1.3 only, on both sides; the suite is ChaCha20-Poly1305 through `ChaChaOnly`.
enum TLSSetup {
    static func serverContext(_ certificate: CertificateOptions) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.cert).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificate.key, format: .pem)))
        configuration.minimumTLSVersion = .tlsv13
        return try NIOSSLContext(configuration: configuration)
    }

    /// No verification: the baseline measures the transport, as the OpenSSL one does (the
    /// certificate is self-signed and made for the run).
    static func clientContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .none
        // ztp-bench's certificate is Ed25519, which BoringSSL verifies only when asked to.
        configuration.verifySignatureAlgorithms = [.ed25519, .ecdsaSecp256R1Sha256, .rsaPssRsaeSha256]
        return try NIOSSLContext(configuration: configuration)
    }
}
