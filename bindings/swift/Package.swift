// swift-tools-version:5.9
// qorgan for Swift: the generated uniffi bindings (Sources/Qorgan), the C
// header and module map they call (Sources/QorganFFI/include), and tests.
//
// The package links libqorgan_ffi from the Rust workspace. Locally (Linux
// or macOS) pass its directory to the linker:
//   swift test -Xlinker -L<dir> -Xlinker -rpath -Xlinker <dir>
// (bindings/swift/test.sh does this). For iOS apps, build the XCFramework
// with build-xcframework.sh and depend on it as a binary target instead.
import PackageDescription

let package = Package(
    name: "Qorgan",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    products: [
        .library(name: "Qorgan", targets: ["Qorgan"]),
    ],
    targets: [
        .systemLibrary(name: "QorganFFI", path: "Sources/QorganFFI/include"),
        .target(
            name: "Qorgan",
            dependencies: ["QorganFFI"],
            path: "Sources/Qorgan",
            linkerSettings: [.linkedLibrary("qorgan_ffi")]
        ),
        .executableTarget(name: "QorganTiming", dependencies: ["Qorgan"], path: "Sources/QorganTiming"),
        .testTarget(name: "QorganTests", dependencies: ["Qorgan"], path: "Tests/QorganTests"),
    ]
)
