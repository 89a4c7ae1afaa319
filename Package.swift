// swift-tools-version: 6.0
// Flock: a distributed machine-learning framework in Swift. See README.md ("Architecture").
import PackageDescription

let package = Package(
    name: "Flock",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Flock", targets: ["Flock"]),
        .library(name: "FlockTensor", targets: ["FlockTensor"]),
        .library(name: "FlockNN", targets: ["FlockNN"]),
        .library(name: "FlockComm", targets: ["FlockComm"]),
        .library(name: "FlockTrain", targets: ["FlockTrain"]),
        .library(name: "FlockRuntime", targets: ["FlockRuntime"]),
        .library(name: "FlockData", targets: ["FlockData"]),
        .library(name: "FlockML", targets: ["FlockML"]),
        .executable(name: "flock", targets: ["flock"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Per-CPU-level C micro-kernels (GEMM, vector exp) picked at run time from the
        // CPU's feature bits, so one portable binary still runs at AVX-512 speed.
        .target(name: "CFlockKernels"),
        // renameat2(2) for publishing dataset folders atomically (FlockData's DatasetWriter).
        .target(name: "CFlockFiles"),
        .target(
            name: "FlockTensor",
            dependencies: [
                "CFlockKernels",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            exclude: ["README.md"]
        ),
        .target(name: "FlockNN", dependencies: ["FlockTensor"], exclude: ["README.md"]),
        // Columnar tables in Arrow's layout (see its README).
        .target(
            name: "FlockData", dependencies: ["CFlockFiles", "FlockTensor", "FlockNN", "FlockRuntime"],
            exclude: ["README.md"]),
        // Spark MLlib's estimators and pipelines on FlockData (see its README).
        .target(
            name: "FlockML", dependencies: ["FlockData", "FlockTensor", "FlockNN", "FlockRuntime"],
            exclude: ["README.md"]),
        // Rendezvous store, process groups, collectives over TCP and shared memory, and the
        // authenticated, sealed NIO channels the store and the runtime speak (see its README).
        .target(
            name: "FlockComm",
            dependencies: [
                "FlockTensor",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["README.md"]
        ),
        // The cluster runtime: head, workers, node agents, tasks, actors, object store (see its README).
        .target(
            name: "FlockRuntime",
            dependencies: [
                "FlockComm",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"]
        ),
        .target(
            name: "FlockTrain", dependencies: ["FlockTensor", "FlockNN", "FlockComm"], exclude: ["README.md"]),
        .target(
            name: "Flock",
            dependencies: [
                "FlockTensor", "FlockNN", "FlockComm", "FlockTrain", "FlockRuntime", "FlockData", "FlockML",
            ]
        ),
        // Runnable examples (the demo's training jobs), shared by the CLI and the tests.
        .target(
            name: "FlockExamples",
            dependencies: ["FlockNN", "FlockComm", "FlockTrain", "FlockRuntime", "FlockData", "FlockML"]),
        .executableTarget(
            name: "flock",
            dependencies: [
                "Flock",
                // Named as well as re-exported by Flock: the build then notices its changes.
                "FlockRuntime",
                "FlockExamples",
                "FlockData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // One binary for every fuzz target (Fuzz/README.md): libFuzzer with Fuzz/run, a
        // replay of input files otherwise.
        .executableTarget(
            name: "FlockFuzz", dependencies: ["FlockComm", "FlockNN", "FlockRuntime", "FlockData", "FlockML"],
            path: "Fuzz/FlockFuzz"),
        .testTarget(name: "FlockTensorTests", dependencies: ["FlockTensor"]),
        .executableTarget(
            name: "FlockDataTestWorker", dependencies: ["FlockData", "FlockRuntime"], path: "Tests/FlockDataTestWorker"),
        .testTarget(
            name: "FlockDataTests",
            dependencies: ["FlockData", "FlockTensor", "flock", "FlockTestSupport", "FlockDataTestWorker"],
            exclude: ["Fixtures"]),
        // The program FlockMLTests start: fits on a local cluster of worker processes.
        .executableTarget(
            name: "FlockMLTestWorker", dependencies: ["FlockML", "FlockData", "FlockRuntime"],
            path: "Tests/FlockMLTestWorker"),
        .testTarget(
            name: "FlockMLTests", dependencies: ["FlockML", "FlockData", "FlockTestSupport", "FlockMLTestWorker"],
            exclude: ["Fixtures"]),
        .testTarget(name: "FlockNNTests", dependencies: ["FlockNN", "FlockExamples", "Flock"], exclude: ["Fixtures"]),
        // The worker program that FlockCommTests start as real processes.
        .executableTarget(name: "FlockCommTestWorker", dependencies: ["FlockComm"], path: "Tests/FlockCommTestWorker"),
        // The one multi-process harness every test target uses.
        .target(name: "FlockTestSupport", path: "Tests/FlockTestSupport"),
        .testTarget(
            name: "FlockCommTests",
            dependencies: ["FlockComm", "FlockTensor", "FlockCommTestWorker", "FlockTestSupport"]),
        .executableTarget(
            name: "FlockRuntimeTestWorker", dependencies: ["FlockRuntime", "FlockExamples", "FlockTensor"],
            path: "Tests/FlockRuntimeTestWorker"),
        .testTarget(
            name: "FlockRuntimeTests",
            dependencies: [
                "FlockRuntime", "FlockComm", "FlockRuntimeTestWorker", "flock", "FlockTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .executableTarget(
            name: "FlockTrainTestWorker", dependencies: ["FlockComm", "FlockNN", "FlockTrain"],
            path: "Tests/FlockTrainTestWorker"),
        .testTarget(
            name: "FlockTrainTests",
            dependencies: [
                "FlockComm", "FlockNN", "FlockTrain", "FlockExamples", "FlockTrainTestWorker", "flock",
                "FlockTestSupport",
            ]),
    ]
)
