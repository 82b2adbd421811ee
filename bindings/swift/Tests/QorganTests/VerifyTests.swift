import Foundation
import XCTest
@testable import Qorgan

/// Stateless verification, as a server uses it.
final class VerifyTests: XCTestCase {
    func testSingleAndBatchVerification() throws {
        let alice = try Device()
        let out = try alice.createGroup(groupId: utf8("g"), policy: defaultPolicy, now: 0)
        let identity = try alice.identityKey()
        let bundle = try alice.bundle()
        let announcement = try out.announcement()
        let message = try out.encrypt(plaintext: utf8("hello"))
        try verifyIdentity(identity: identity)
        try verifyBundle(bundle: bundle)
        try verifyAnnouncement(announcement: announcement)
        try verifyGroupMessage(announcement: announcement, message: message)
        assertThrows(.badSignature, try verifyAnnouncement(announcement: flipped(announcement, -1)))
        assertThrows(.badSignature, try verifyGroupMessage(announcement: announcement, message: flipped(message, -1)))
        // Zero-copy arguments accept slices that do not start at index 0.
        let padded = Data([0xAA, 0xBB]) + bundle
        try verifyBundle(bundle: padded.dropFirst(2))

        let items: [VerifyItem] = [
            .identity(bytes: identity),
            .bundle(bytes: bundle),
            .announcement(bytes: announcement),
            .groupMessage(announcement: announcement, message: message),
            .groupMessage(announcement: announcement, message: flipped(message, -1)),
            .bundle(bytes: Data([1])),
            .groupMessage(announcement: Data([0]), message: message),
        ]
        let results = verifyBatch(items: items)
        XCTAssertEqual(results.map { $0.valid }, [true, true, true, true, false, false, false])
        XCTAssertEqual(results.map { $0.error?.kind }, [nil, nil, nil, nil, .badSignature, .malformed, .malformed])
        XCTAssertTrue(verifyBatch(items: []).isEmpty)
    }
}
