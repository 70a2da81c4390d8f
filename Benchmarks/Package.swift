// swift-tools-version:6.2
import PackageDescription

// The baselines a Swift user would pick instead of ZTP, in a package of their own so that
// benchmark-only code and dependencies never enter the main build or `make test` (swift-nio-ssl
// is in the main graph anyway, through PostgresNIO, but this package builds its own copy: about
// six minutes the first time). `make bench` builds `ztp-baselines` and `ztp-bench run` drives it.
let package = Package(
    name: "ZTPBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Counts allocations per frame through its malloc interposer; the runtime interposer (the
        // other default trait) is not mirrored here and is not needed for malloc counts.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "ZTP", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "ztp-baselines",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `swift package benchmark` (make bench-allocs): the core's frame path, allocations per DATA frame.
        .executableTarget(
            name: "FramePath",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ZTPCore", package: "ZTP"),
            ],
            path: "Benchmarks/FramePath",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
