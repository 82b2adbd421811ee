// swift-tools-version:5.9
// GENERATED from bindings/swift/Package.swift by bindings/swift/root-manifest.sh: edit that file.
// qorgan for Swift: the generated uniffi bindings (Sources/Qorgan), the C
// interface they call (QorganFFI) and tests.
//
// Two modes, chosen when SwiftPM evaluates this manifest:
//
// * release: QorganFFI is `.binaryTarget(url:checksum:)`, the XCFramework zip
//   made by build-xcframework.sh (static libqorgan_ffi for iOS devices, iOS
//   simulators and macOS, with the header and module map). This is what an
//   app gets when it adds the repository by URL:
//     .package(url: "https://example.invalid/qorgan", from: "0.1.0")
//   SwiftPM reads the manifest at the root of a repository, so the root
//   holds a copy of this file made by root-manifest.sh (only `packageRoot`
//   differs). It is used on Apple hosts once set-release.sh has filled in
//   the two constants below (the release command does that for each release).
// * local development: QorganFFI is the `systemLibrary` target over
//   Sources/QorganFFI/include and `Qorgan` links `qorgan_ffi` from a Rust
//   build of this checkout, found through the linker's search path:
//     swift test -Xlinker -L<dir> -Xlinker -rpath -Xlinker <dir>
//   (bindings/swift/test.sh does this in its Linux chroot). It is used on
//   Linux and Windows, whenever the constants are still placeholders, and
//   whenever QORGAN_SWIFT_LOCAL=1.
//
// QORGAN_SWIFT_LOCAL=1 forces local mode, QORGAN_SWIFT_LOCAL=0 forces release
// mode even on Linux (there SwiftPM can parse it, e.g. `swift package
// dump-package`, but cannot build it: XCFrameworks are Apple-only). SwiftPM
// keys its manifest cache on the environment, so changing the variable takes
// effect on the next command. Xcode does not pass a shell's variables; with a
// filled-in release it always uses the binary target.
//
// Why it is built this way: SwiftPM refuses `unsafeFlags` in a package that
// is a remote dependency, so neither mode uses them (the library directory
// comes from the command line); a `systemLibrary` target cannot carry the
// library itself, so an app on iOS cannot link without the binary target;
// and a binary target cannot work on Linux, so tests there use local mode.
import PackageDescription

// Where the sources are, relative to this manifest: "" in bindings/swift/,
// "bindings/swift/" in the copy at the repository's root that SwiftPM reads
// when an app adds the repository by URL (written by root-manifest.sh).
let packageRoot = "bindings/swift/"

// >>> release constants: rewritten by bindings/swift/set-release.sh, keep each on one line
let qorganFFIReleaseURL = "https://example.invalid/qorgan/releases/download/v0.1.0/QorganFFI.xcframework.zip"
let qorganFFIReleaseChecksum = "UNSET"
// <<< release constants

/// The checksum is a SHA-256 (64 lowercase hex digits) once a release is set.
let releaseIsSet = qorganFFIReleaseChecksum.count == 64
    && qorganFFIReleaseChecksum.allSatisfy { "0123456789abcdef".contains($0) }

#if os(Linux) || os(Windows) || os(Android) || os(FreeBSD) || os(OpenBSD)
let hostHasXCFrameworks = false
#else
let hostHasXCFrameworks = true
#endif

let useBinaryTarget: Bool
switch Context.environment["QORGAN_SWIFT_LOCAL"] {
case "1": useBinaryTarget = false
case "0": useBinaryTarget = true
default: useBinaryTarget = releaseIsSet && hostHasXCFrameworks
}

let ffiTarget: Target = useBinaryTarget
    ? .binaryTarget(name: "QorganFFI", url: qorganFFIReleaseURL, checksum: qorganFFIReleaseChecksum)
    : .systemLibrary(name: "QorganFFI", path: packageRoot + "Sources/QorganFFI/include")

let package = Package(
    name: "Qorgan",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    products: [
        .library(name: "Qorgan", targets: ["Qorgan"]),
    ],
    targets: [
        ffiTarget,
        .target(
            name: "Qorgan",
            dependencies: ["QorganFFI"],
            path: packageRoot + "Sources/Qorgan",
            // The XCFramework carries the static library; local mode links
            // the one built from this checkout.
            linkerSettings: useBinaryTarget ? [] : [.linkedLibrary("qorgan_ffi")]
        ),
        .executableTarget(name: "QorganTiming", dependencies: ["Qorgan"], path: packageRoot + "Sources/QorganTiming"),
        .testTarget(name: "QorganTests", dependencies: ["Qorgan"], path: packageRoot + "Tests/QorganTests"),
    ]
)
