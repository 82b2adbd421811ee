import Foundation
import XCTest
@testable import Qorgan

/// Stateless verification, as a server uses it.
final class VerifyTests: XCTestCase {
    func testSingleAndBatchVerification() throws {
        let alice = try Device(now: NOW)
        let out = try alice.createGroup(groupId: utf8("g"), policy: defaultPolicy, now: NOW)
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

    func testUploadVerifiedWithItsIdsAndRotationAfterSevenDays() throws {
        let dev = try Device(now: NOW)
        XCTAssertEqual(try dev.generateOneTimePrekeys(count: 3), 3)
        XCTAssertEqual(try dev.generateKemOneTimePrekeys(count: 2), 2)
        let upload = try XCTUnwrap(try dev.upload(now: NOW))
        XCTAssertEqual(try verifyUpload(upload: upload), UploadInfo(
            identityKey: try dev.identityKey(),
            signedPrekeyId: 1,
            lastResortKemPrekeyId: 1, // ML-KEM ids share one space
            oneTimePrekeyIds: [1, 2, 3],
            kemOneTimePrekeyIds: [2, 3]))
        // Nothing new: nothing to send; then only what is new.
        XCTAssertNil(try dev.upload(now: NOW + 60))
        _ = try dev.generateOneTimePrekeys(count: 2)
        let second = try verifyUpload(upload: XCTUnwrap(try dev.upload(now: NOW + 120)))
        XCTAssertNil(second.signedPrekeyId)
        XCTAssertNil(second.lastResortKemPrekeyId)
        XCTAssertEqual(second.oneTimePrekeyIds, [4, 5])
        XCTAssertEqual(second.kemOneTimePrekeyIds, [])
        // After 7 days (604800 s) both long-lived prekeys are due; upload rotates them.
        XCTAssertFalse(try dev.needsRotation(now: NOW + 604_799))
        XCTAssertTrue(try dev.needsRotation(now: NOW + 604_800))
        let rotated = try verifyUpload(upload: XCTUnwrap(try dev.upload(now: NOW + 604_800)))
        XCTAssertEqual(rotated.signedPrekeyId, 2)
        XCTAssertEqual(rotated.lastResortKemPrekeyId, 4)
        XCTAssertFalse(try dev.needsRotation(now: NOW + 604_800))
        // Tampered, truncated, not an upload; the same verdicts in a batch.
        if case .BadSignature(let what)? = assertThrows(.badSignature, try verifyUpload(upload: flipped(upload, -1))) {
            XCTAssertEqual(what, "prekey upload")
        }
        assertThrows(.malformed, try verifyUpload(upload: upload.dropLast()))
        assertThrows(.malformed, try verifyUpload(upload: dev.bundle()))
        let results = verifyBatch(items: [.upload(bytes: upload), .upload(bytes: flipped(upload, -1)), .upload(bytes: utf8("junk"))])
        XCTAssertEqual(results.map { $0.error?.kind }, [nil, .badSignature, .malformed])
    }
}
