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
    ],
    swiftLanguageModes: [.v6]
)
