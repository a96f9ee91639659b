// swift-tools-version: 6.1
import PackageDescription

/// Settings every Reel target shares: Swift 6 language mode plus explicit existentials and
/// member-import visibility (as hummingbird and swift-build do).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Reel",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "reel", targets: ["reel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // The shared (team) ledger, journal and node claims; linked only by ReelLedgerPostgres.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Test-only: fake provider servers on 127.0.0.1.
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
    ],
    targets: [
        // MARK: - Executable

        /** The `reel` command: a `@main` that awaits `ReelCommand`. Nothing else. */
        .executableTarget(
            name: "reel",
            dependencies: ["ReelCommands"],
            swiftSettings: strictSettings
        ),

        /** scripts/bench's driver for the remote cache client (fetches a list of blobs); not shipped. */
        .executableTarget(
            name: "remote-cache-bench",
            dependencies: ["ReelBasics", "ReelRemoteCache"],
            path: "Benchmarks/RemoteCacheBench",
            swiftSettings: strictSettings
        ),

        // MARK: - Libraries

        /** glibc's posix_spawn extensions (closefrom, chdir) for the process runner. */
        .target(name: "CReelSpawn"),
        /** libcurl (Debian's libcurl4-openssl-dev) with typed wrappers for its variadic calls: the remote cache transport. */
        .target(name: "CReelCurl", linkerSettings: [.linkedLibrary("curl")]),
        /** Digests, canonical encoding, file system / process / clock seams, diagnostics. */
        .target(
            name: "ReelBasics",
            dependencies: ["CReelSpawn", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        /** YAML manifest and lockfile: parsing with line:col diagnostics, presets, resolution. */
        .target(
            name: "ReelManifest",
            dependencies: ["ReelBasics", "Yams"],
            resources: [.copy("Resources")],
            swiftSettings: strictSettings
        ),
        /** The build graph as a value: nodes, canonical keys, the planner. No I/O. */
        .target(
            name: "ReelGraph",
            dependencies: ["ReelBasics", "ReelManifest"],
            swiftSettings: strictSettings
        ),
        /** Content-addressed store, action cache, stat cache, per-node locks. */
        .target(
            name: "ReelCache",
            dependencies: ["ReelBasics"],
            swiftSettings: strictSettings
        ),
        /** ffmpeg and ffprobe: command construction and running (features, animatic, combine). */
        .target(
            name: "ReelMedia",
            dependencies: ["ReelBasics"],
            swiftSettings: strictSettings
        ),
        /** HTTP with retries, and the provider clients: Replicate predictions and files, OpenAI-compatible chat. */
        .target(
            name: "ReelProviders",
            dependencies: ["ReelBasics"],
            swiftSettings: strictSettings
        ),
        /** The spend ledger (SQLite through GRDB): reservations against budget caps, actual spend. */
        .target(
            name: "ReelLedger",
            dependencies: ["ReelBasics", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        /** The shared remote cache: a Bazel HTTP cache protocol client (CAS blobs, ActionResult records). */
        .target(
            name: "ReelRemoteCache",
            dependencies: ["CReelCurl", "ReelBasics", "ReelCache", "ReelProviders"],
            swiftSettings: strictSettings
        ),
        /** The shared ledger, prediction journal and node claims on PostgreSQL (the only module linking postgres-nio). */
        .target(
            name: "ReelLedgerPostgres",
            dependencies: ["ReelBasics", "ReelLedger", "ReelCache", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: strictSettings
        ),
        /** Actions, the scheduler and the build engine that carries a plan out. */
        .target(
            name: "ReelEngine",
            dependencies: [
                "ReelBasics", "ReelManifest", "ReelGraph", "ReelCache", "ReelRemoteCache", "ReelMedia", "ReelProviders", "ReelLedger",
            ],
            swiftSettings: strictSettings
        ),
        /** ArgumentParser commands and terminal rendering. Only this module prints. */
        .target(
            name: "ReelCommands",
            dependencies: [
                "ReelBasics", "ReelManifest", "ReelGraph", "ReelCache", "ReelRemoteCache", "ReelMedia", "ReelProviders", "ReelLedger",
                "ReelEngine", "ReelLedgerPostgres", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: - Test support and tests

        /** Fakes and helpers shared by the test targets. */
        .target(
            name: "ReelTestSupport",
            dependencies: [
                "ReelBasics", "ReelManifest", "ReelCache", "ReelEngine", "ReelProviders", "ReelLedger",
                .product(name: "FlyingFox", package: "FlyingFox"),
            ],
            path: "Tests/ReelTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelBasicsTests",
            dependencies: ["ReelBasics", "ReelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelManifestTests",
            dependencies: ["ReelManifest", "ReelTestSupport", "Yams"],
            exclude: ["Corpus"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelGraphTests",
            dependencies: ["ReelGraph", "ReelManifest", "ReelEngine", "ReelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelCacheTests",
            dependencies: ["ReelCache", "ReelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelProvidersTests",
            dependencies: ["ReelProviders", "ReelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelRemoteCacheTests",
            dependencies: ["ReelRemoteCache", "ReelCache", "ReelProviders", "ReelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelLedgerTests",
            dependencies: ["ReelLedger", "ReelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelLedgerPostgresTests",
            dependencies: ["ReelLedgerPostgres", "ReelLedger", "ReelCache", "ReelBasics", "ReelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelEngineTests",
            dependencies: ["ReelEngine", "ReelGraph", "ReelManifest", "ReelCache", "ReelTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReelEndToEndTests",
            dependencies: ["ReelTestSupport", "ReelBasics", "ReelLedger"],
            exclude: ["Snapshots"],
            swiftSettings: strictSettings
        ),
    ]
)
