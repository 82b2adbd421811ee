import Foundation
import XCTest
@testable import Qorgan

/// Objects are freed by ARC: no close() to forget, no closed object to pass.
final class LifecycleTests: XCTestCase {
    func testObjectsOutliveTheirCreators() throws {
        // The session made by a device keeps working after the device is released.
        var session: Session?
        var bobSession: Session?
        do {
            let alice = try Device(now: NOW)
            let bob = try Device(now: NOW)
            session = try alice.initiate(bundle: bob.bundle())
            bobSession = try bob.accept(message: session!.encrypt(plaintext: utf8("x")), now: NOW).session
        }
        let reply = try bobSession!.encrypt(plaintext: utf8("still here"))
        XCTAssertEqual(text(try session!.decrypt(message: reply)), "still here")
    }

    func testWeakReferenceIsClearedAfterRelease() throws {
        weak var weakDevice: Device?
        do {
            let d = try Device(now: NOW)
            weakDevice = d
            XCTAssertNotNil(weakDevice)
            _ = try d.identityKey()
        }
        XCTAssertNil(weakDevice)
    }

    func testManyObjectsCreatedAndReleased() throws {
        var identities = Set<Data>()
        for _ in 0..<200 { identities.insert(try Device(now: NOW).identityKey()) }
        XCTAssertEqual(identities.count, 200)
    }
}
