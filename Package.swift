// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "labelmill",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "labelmill", targets: ["labelmill"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // System libraries from Debian: libpng-dev, libturbojpeg0-dev, libinotifytools0-dev.
        .systemLibrary(name: "CLibPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CInotifyTools", providers: [.apt(["libinotifytools0-dev"])]),
        // Calls that may longjmp (libpng, libjpeg) stay in C and return codes.
        // zlib checks the PNG's CRCs and IDAT stream before libpng decodes it.
        .target(name: "CShims", dependencies: ["CLibPNG", "CTurboJPEG"], linkerSettings: [.linkedLibrary("z")]),
        // The core's numeric code (embeddings, k-means, softmax training) is optimized in
        // debug builds too: the tests and the daemon they run train real models.
        .target(name: "LabelmillCore", swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        .target(
            name: "LabelmillFS",
            dependencies: [
                "LabelmillCore", "CShims", "CInotifyTools",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "LabelmillDaemon",
            dependencies: [
                "LabelmillCore", "LabelmillFS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The web page: HTTP API over the same files; Web/ is compiled in by EmbedWeb.
        .executableTarget(name: "WebEmbedder", path: "Plugins/WebEmbedder"),
        .plugin(name: "EmbedWeb", capability: .buildTool(), dependencies: ["WebEmbedder"]),
        .target(
            name: "LabelmillServe",
            dependencies: [
                "LabelmillCore", "LabelmillFS", "LabelmillDaemon",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Ink", package: "Ink"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Web"],
            plugins: ["EmbedWeb"]
        ),
        .executableTarget(
            name: "labelmill",
            dependencies: [
                "LabelmillCore", "LabelmillFS", "LabelmillDaemon", "LabelmillServe",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Benchmarks/assist_bench.py's tool: the ML assist core on a labeled image set.
        .executableTarget(name: "assist-eval", dependencies: ["LabelmillCore", "LabelmillFS"], path: "Benchmarks/AssistEval"),
        // What the test targets share: PNG builders, a seeded generator, temp folders,
        // polling waits and the built binary. Foundation only, so any test target can use it.
        .target(name: "TestSupport", dependencies: ["LabelmillCore"], path: "Tests/TestSupport"),
        .testTarget(name: "LabelmillCoreTests", dependencies: ["LabelmillCore", "TestSupport"]),
        .testTarget(name: "LabelmillFSTests", dependencies: ["LabelmillFS", "LabelmillCore", "TestSupport"]),
        .testTarget(name: "LabelmillDaemonTests", dependencies: ["LabelmillDaemon", "LabelmillFS", "LabelmillCore", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["LabelmillCore", "TestSupport"]),
        .testTarget(
            name: "LabelmillServeTests",
            dependencies: [
                "LabelmillServe", "LabelmillDaemon", "LabelmillFS", "LabelmillCore", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
