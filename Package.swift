// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "Arbiter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "arbiter", targets: ["arbiter"]),
        .library(name: "ArbiterPolicy", targets: ["ArbiterPolicy"]),
        .library(name: "ArbiterReview", targets: ["ArbiterReview"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
    ],
    targets: [
        // MARK: - C interop
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CNGHTTP2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .target(name: "CArbiterLinux"),
        .target(name: "CArbiterIntrinsics"),

        // MARK: - Pure libraries
        .target(
            name: "ArbiterPolicy",
            dependencies: ["CArbiterIntrinsics", .product(name: "Yams", package: "Yams")]
        ),
        .target(name: "ArbiterReview", dependencies: ["ArbiterPolicy"]),

        // MARK: - Transport
        .target(name: "ArbiterPosix", dependencies: ["CArbiterLinux"]),
        .target(name: "ArbiterHTTP", dependencies: ["ArbiterPosix", "COpenSSL", "CNGHTTP2"]),

        // MARK: - Service
        .target(
            name: "ArbiterWebhook",
            dependencies: [
                "ArbiterHTTP", "ArbiterPosix", "ArbiterReview", "ArbiterPolicy",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "arbiter",
            dependencies: [
                "ArbiterWebhook", "ArbiterReview", "ArbiterPolicy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Support
        .target(name: "ArbiterTestSupport", dependencies: ["ArbiterPolicy", "ArbiterReview"]),
        .executableTarget(
            name: "ArbiterBenchmarks",
            dependencies: ["ArbiterPolicy", "ArbiterReview", "ArbiterHTTP", "ArbiterWebhook"]
        ),

        .executableTarget(
            name: "ArbiterFuzz",
            dependencies: ["ArbiterPolicy", "ArbiterReview", "ArbiterHTTP", "ArbiterTestSupport"]
        ),

        // MARK: - Tests
        .testTarget(name: "ArbiterPolicyTests", dependencies: ["ArbiterPolicy", "ArbiterReview", "ArbiterTestSupport"]),
        .testTarget(name: "ArbiterReviewTests", dependencies: ["ArbiterReview", "ArbiterTestSupport"]),
        .testTarget(name: "ArbiterPosixTests", dependencies: ["ArbiterPosix"]),
        .testTarget(name: "ArbiterHTTPTests", dependencies: ["ArbiterHTTP", "ArbiterPosix"]),
        .testTarget(name: "ArbiterWebhookTests", dependencies: ["ArbiterWebhook", "ArbiterTestSupport"]),
        .testTarget(name: "ArbiterCLITests", dependencies: ["ArbiterTestSupport", "arbiter"]),
    ]
)

// Every target: Swift 6 language mode plus the upcoming features the anchors use.
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    // CI (and `make build`) turn every warning of Arbiter's own targets into an error; dependencies
    // are not affected.
    if Context.environment["ARBITER_WERROR"] == "1" {
        settings.append(.treatAllWarnings(as: .error))
    }
    // The event-loop modules keep their mutable state confined to one loop thread and never
    // re-enter an object while one of its accesses is open; the debug build (the test suite) checks
    // that dynamically, and release builds drop the per-access runtime checks (two runtime calls per
    // class-property access, ~7% of an HTTP/2 request's instructions).
    if ["ArbiterPosix", "ArbiterHTTP", "ArbiterWebhook"].contains(target.name) {
        settings.append(.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)))
    }
    target.swiftSettings = settings
}
