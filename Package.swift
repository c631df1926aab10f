// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "charnn",
    products: [
        .executable(name: "charnn", targets: ["charnn"]),
        .library(name: "CharRNN", targets: ["CharRNN"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // MARK: - System libraries (Debian: libopenblas-dev, libzstd-dev, libopenmpi-dev)
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),

        // MARK: - The toolkit
        .target(name: "CCPUFeatures"),  // cpuid/xgetbv: which kernels this CPU can run
        // ISA-specific kernels in C, chosen at run time; optimised in every build, since a kernel
        // compiled at -O0 (debug) measures the compiler, not the CPU.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "CProcess"),  // prctl: a sweep's trials end with the process that started them
        .target(
            name: "CharRNN",
            dependencies: ["COpenBLAS", "CZstd", "CMPI", "CCPUFeatures", "CKernels", "CProcess"]
        ),
        // HTTP for `charnn serve`, apart so that the library never depends on the HTTP stack.
        // docs/openapi.json, the API's one statement, is compiled in by EmbedOpenAPI.
        .target(
            name: "CharnnServer",
            dependencies: [
                "CharRNN",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            plugins: ["EmbedOpenAPI"]
        ),
        // Build time only: docs/openapi.json → Swift (its bytes, and the numbers the checks use).
        .executableTarget(name: "OpenAPIEmbed"),
        .plugin(name: "EmbedOpenAPI", capability: .buildTool(), dependencies: ["OpenAPIEmbed"]),
        .executableTarget(
            name: "charnn",
            dependencies: [
                "CharRNN",
                "CharnnServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .target(name: "MallocCounter", path: "Tests/MallocCounter"),
        .target(name: "CheckpointSurgery", dependencies: ["CharRNN"], path: "Tests/CheckpointSurgery"),
        // Fixtures/ holds text files the tests read by path, not resources to bundle.
        .testTarget(name: "CharRNNTests", dependencies: ["CharRNN", "MallocCounter", "CheckpointSurgery"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "CharnnCLITests", dependencies: ["charnn", "CharRNN", "CharnnServer", "CheckpointSurgery"]),
    ]
)
