// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "ZTP",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ZTPCore", targets: ["ZTPCore"]),
        .library(name: "ZTPClient", targets: ["ZTPClient"]),
        .executable(name: "ztp-server", targets: ["ztp-server"]),
        .executable(name: "ztp-client", targets: ["ztp-client"]),
        .executable(name: "ztp-bench", targets: ["ztp-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd", providers: [.apt(["libmicrohttpd-dev"])]),
        // glibc's <malloc.h> (mallopt), which the Glibc module leaves out.
        .systemLibrary(name: "CMalloc"),

        // The protocol, sans-IO: bytes and time in, frames and decisions out. libsodium for all
        // crypto but the record layer's AEAD, which is libcrypto's.
        .target(name: "ZTPCore", dependencies: ["CSodium", "CCrypto", .product(name: "NIOCore", package: "swift-nio")]),

        // What every ZTP connection over SwiftNIO shares (socket options today).
        .target(name: "ZTPNIO", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // The store: one type, two backends (SQLite through GRDB, PostgreSQL through PostgresNIO).
        .target(name: "ZTPStore", dependencies: [
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ]),
        .target(name: "ZTPServer", dependencies: [
            "ZTPCore", "ZTPNIO",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .target(name: "ZTPClient", dependencies: [
            "ZTPCore", "ZTPNIO",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // A swift-openapi-runtime `ServerTransport` on libmicrohttpd: async handlers on suspended
        // connections, bounded bodies, streamed responses. Knows nothing of ZTP.
        .target(name: "OpenAPIMicroHTTPD", dependencies: [
            "CMicroHTTPD",
            .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The management API: types and server protocol generated from openapi.yaml (a symlink
        // to the top-level file), implemented by `ManagementAPI`.
        .target(
            name: "ZTPManagement",
            dependencies: [
                "CMalloc", "OpenAPIMicroHTTPD", "ZTPServer", "ZTPStore", "ZTPCore", "ZTPNIO",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        .executableTarget(name: "ztp-server", dependencies: [
            "ZTPServer", "ZTPManagement", "ZTPStore", "ZTPCore", "CMalloc",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "ztp-client", dependencies: [
            "ZTPClient", "ZTPCore",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ztp-bench", dependencies: [
            // ZTPTestSupport: the `fleet` scenario starts PostgreSQL as the tests do.
            "ZTPClient", "ZTPServer", "ZTPCore", "ZTPNIO", "ZTPTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Test helpers shared by the suites that start real processes: dropping root for them,
        // reading socket options of a live connection, a throwaway PostgreSQL server.
        .target(name: "ZTPTestSupport", path: "Tests/ZTPTestSupport"),
        .testTarget(name: "ZTPCoreTests", dependencies: ["ZTPCore", "ZTPTestSupport"], resources: [.copy("Vectors")]),
        .testTarget(name: "ZTPStoreTests", dependencies: [
            "ZTPStore", "ZTPTestSupport", .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .testTarget(name: "ZTPClientTests", dependencies: ["ZTPClient"]),
        .testTarget(name: "ZTPManagementTests", dependencies: [
            "ZTPManagement", "ZTPStore", "ZTPClient", "ZTPCore", "ZTPServer", "ZTPTestSupport", "OpenAPIMicroHTTPD",
            .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .testTarget(name: "OpenAPIMicroHTTPDTests", dependencies: ["OpenAPIMicroHTTPD", "ZTPTestSupport", .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"), .product(name: "HTTPTypes", package: "swift-http-types")]),
        .testTarget(name: "ZTPServerTests", dependencies: [
            "ZTPServer", "ZTPCore", "ZTPTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(name: "ZTPEndToEndTests", dependencies: [
            "ZTPClient", "ZTPCore", "ZTPNIO", "ZTPTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzz targets (issue 11, `make fuzz`): declared only when ZTP_FUZZ is set, so `swift build` and
// `make test` never compile them, while they still reach the modules' internals through
// `@testable import` like a test target would. Our modules are then built with libFuzzer's
// coverage and ASan (see mk/fuzz.mk); without ZTP_FUZZ=instrument the executables replay files.
if Context.environment["ZTP_FUZZ"] != nil {
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/Sources/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Fuzz/Sources/FuzzSupport"),
        .executableTarget(name: "ztp-fuzz-core", dependencies: ["FuzzSupport", "ZTPCore", "CSodium"],
                          path: "Fuzz/Sources/ztp-fuzz-core"),
        .executableTarget(name: "ztp-fuzz-management", dependencies: [
            "FuzzSupport", "ZTPManagement", "ZTPServer", "ZTPCore", "ZTPStore", "OpenAPIMicroHTTPD",
            .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Logging", package: "swift-log"),
        ],
                          path: "Fuzz/Sources/ztp-fuzz-management"),
    ]
    package.products += [
        .executable(name: "ztp-fuzz-core", targets: ["ztp-fuzz-core"]),
        .executable(name: "ztp-fuzz-management", targets: ["ztp-fuzz-management"]),
    ]
    // Only our modules are instrumented, through their own settings: `-Xswiftc` would reach
    // every dependency and the OpenAPI generator's build tool too, which must stay a plain
    // program (instrumented, its link failed). The dependencies are the fuzzed code's
    // surroundings, not what is under test, and run faster uninstrumented.
    if Context.environment["ZTP_FUZZ"] == "instrument" {
        let ours: Set<String> = ["ZTPCore", "ZTPNIO", "ZTPStore", "ZTPServer", "OpenAPIMicroHTTPD", "ZTPManagement",
                                 "FuzzSupport", "ztp-fuzz-core", "ztp-fuzz-management"]
        for target in package.targets where ours.contains(target.name) {
            target.swiftSettings = (target.swiftSettings ?? [])
                + [.unsafeFlags(["-sanitize=fuzzer,address", "-enable-testing"]), .define("FUZZING")]
            if target.type == .executable {
                target.linkerSettings = (target.linkerSettings ?? []) + [.unsafeFlags(["-sanitize=fuzzer,address"])]
            }
        }
    }
}

// ThreadSanitizer over our modules (`make test-tsan`, issue 11): every target of this package,
// tests and executables included, is compiled and linked with `-sanitize=thread`, in the same
// `.build` as the ordinary debug build, so the dependencies' objects are reused as they are.
// They stay uninstrumented, and what they synchronise with is still seen: SwiftNIO's locks are
// pthread mutexes and its cross-thread hand-offs go through them, which ThreadSanitizer
// intercepts in any code. The servers the end-to-end suites start are instrumented too.
// (`swift build --sanitize=thread` instruments the dependencies as well, which costs about nine
// minutes of build per run: `make test-tsan-all`.)
if Context.environment["ZTP_SANITIZE"] == "thread" {
    for target in package.targets where target.type != .system {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-sanitize=thread"])]
        target.linkerSettings = (target.linkerSettings ?? []) + [.unsafeFlags(["-sanitize=thread"])]
    }
}
