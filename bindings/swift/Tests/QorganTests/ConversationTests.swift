import Foundation
import XCTest
@testable import Qorgan

/// A 1:1 conversation: handshake, out-of-order delivery, sealed restore.
final class ConversationTests: XCTestCase {
    func testFullConversationWithOutOfOrderDeliveryAndRestore() throws {
        let key = storageKey(1)
        let alice = try Device(now: NOW)
        var sealedBobDevice = Data()
        var sealedBobSession = Data()
        var sealedAliceSession = Data()
        var messages: [Data] = []
        var bobIdentity = Data()
        // What the app records with each blob: the object's id and generation.
        var sessionId = Data()
        var generations: (bobDevice: Int64, bobSession: Int64, aliceSession: Int64) = (0, 0, 0)
        do {
            let bob = try Device(now: NOW)
            XCTAssertEqual(try bob.generateOneTimePrekeys(count: 2), 2)
            XCTAssertEqual(try bob.generateKemOneTimePrekeys(count: 1), 1)
            XCTAssertEqual(try bob.oneTimePrekeyCount(), 2)
            let bundle = try bob.bundle()
            try verifyBundle(bundle: bundle)
            bobIdentity = try bob.identityKey()
            try verifyIdentity(identity: bobIdentity)

            let a = try alice.initiate(bundle: bundle)
            XCTAssertTrue(try a.isPending())
            XCTAssertEqual(try a.remoteIdentity(), bobIdentity)
            messages = try (0..<6).map { try a.encrypt(plaintext: utf8("m\($0)")) }

            // Bob accepts the first message; the one-time prekey is consumed.
            let accepted = try bob.accept(message: messages[0], now: NOW)
            XCTAssertEqual(text(accepted.plaintext), "m0")
            XCTAssertEqual(try bob.oneTimePrekeyCount(), 1)
            let b = accepted.session
            XCTAssertEqual(try b.remoteIdentity(), try alice.identityKey())
            XCTAssertFalse(try b.isPending())
            // Later prekey messages belong to this session, not to Device.accept.
            XCTAssertTrue(try b.ownsPrekeyMessage(message: messages[3]))
            for i in [4, 2, 5] {
                XCTAssertEqual(text(try b.decrypt(message: messages[i])), "m\(i)")
            }
            sealedBobSession = try b.seal(storageKey: key)
            sealedBobDevice = try bob.seal(storageKey: key)
            sealedAliceSession = try a.seal(storageKey: key)
            sessionId = try a.sessionId()
            XCTAssertEqual(sessionId.count, 32)
            XCTAssertEqual(try b.sessionId(), sessionId)
            generations = (try bob.generation(), try b.generation(), try a.generation())
            XCTAssertEqual(generations.aliceSession, 1)
        }

        // Both sides restored from sealed state with a 32-byte key.
        let bob = try Device.open(storageKey: key, sealed: sealedBobDevice, identityKey: bobIdentity,
                                  minGeneration: generations.bobDevice)
        XCTAssertEqual(try bob.identityKey(), bobIdentity)
        let b = try Session.open(storageKey: key, sealed: sealedBobSession, sessionId: sessionId,
                                 minGeneration: generations.bobSession)
        let a = try Session.open(storageKey: key, sealed: sealedAliceSession, sessionId: sessionId,
                                 minGeneration: generations.aliceSession)
        XCTAssertEqual(text(try b.decrypt(message: messages[1])), "m1")
        XCTAssertEqual(text(try b.decrypt(message: messages[3])), "m3")
        // Delivered before the seal: refused after the restore too.
        if case .Duplicate(let index)? = assertThrows(.duplicate, try b.decrypt(message: messages[2])) {
            XCTAssertEqual(index, 2)
        }
        assertThrows(.duplicate, try b.decrypt(message: messages[3]))

        // Bob replies; Alice's handshake is confirmed.
        XCTAssertTrue(try a.isPending())
        XCTAssertEqual(text(try a.decrypt(message: b.encrypt(plaintext: utf8("r0")))), "r0")
        XCTAssertFalse(try a.isPending())

        // Ratchet turns with out-of-order delivery across chains.
        let x1 = try a.encrypt(plaintext: utf8("x1"))
        let x2 = try a.encrypt(plaintext: utf8("x2"))
        XCTAssertEqual(text(try a.decrypt(message: b.encrypt(plaintext: utf8("y1")))), "y1")
        let z1 = try a.encrypt(plaintext: utf8("z1")) // a new chain
        XCTAssertEqual(text(try b.decrypt(message: z1)), "z1")
        XCTAssertEqual(text(try b.decrypt(message: x2)), "x2")
        XCTAssertEqual(text(try b.decrypt(message: x1)), "x1")
        assertThrows(.duplicate, try b.decrypt(message: x1))
        for i in 0..<20 {
            XCTAssertEqual(text(try b.decrypt(message: a.encrypt(plaintext: utf8("a\(i)")))), "a\(i)")
            XCTAssertEqual(text(try a.decrypt(message: b.encrypt(plaintext: utf8("b\(i)")))), "b\(i)")
        }
        // Empty and large payloads.
        XCTAssertEqual(try b.decrypt(message: a.encrypt(plaintext: Data())), Data())
        let big = Data((0..<(256 * 1024)).map { UInt8(truncatingIfNeeded: $0) })
        XCTAssertEqual(try a.decrypt(message: b.encrypt(plaintext: big)), big)
    }

    func testBatchCatchUpIsPerMessageTransactional() throws {
        let s = try establish(Device(now: NOW), Device(now: NOW))
        var queue = try (0..<20).map { try s.initiator.encrypt(plaintext: utf8("q\($0)")) }
        queue.reverse()
        // A forged copy of q14 arrives before the real one, and q19 is replayed at the end.
        queue.insert(flipped(queue[5], -1), at: 5)
        queue.append(queue[0])
        let results = try s.responder.decryptBatch(messages: queue)
        XCTAssertEqual(results.count, 22)
        let expected: [String] = (15..<20).reversed().map { "q\($0)" } + ["<nil>"]
            + (0..<15).reversed().map { "q\($0)" } + ["<nil>"]
        XCTAssertEqual(results.map { text($0.plaintext) }, expected)
        XCTAssertEqual(results[5].error?.kind, .authenticationFailed)
        XCTAssertEqual(results[21].error?.kind, .duplicate)
        XCTAssertEqual(results.filter { $0.error == nil }.count, 20)
    }

    func testSafetyNumbersAgreeOnBothSides() throws {
        let alice = try Device(now: NOW)
        let bob = try Device(now: NOW)
        let ours = try alice.safetyNumber(theirIdentity: bob.identityKey(), ourAccount: utf8("alice@x"), theirAccount: utf8("bob@x"))
        let theirs = try bob.safetyNumber(theirIdentity: alice.identityKey(), ourAccount: utf8("bob@x"), theirAccount: utf8("alice@x"))
        XCTAssertEqual(ours.display, theirs.display)
        XCTAssertEqual(ours.display.split(separator: " ").count, 12)
        XCTAssertEqual(ours.scannable.count, 65)
        XCTAssertTrue(safetyNumbersMatch(ours: ours, scanned: theirs.scannable))
        XCTAssertFalse(safetyNumbersMatch(ours: ours, scanned: flipped(theirs.scannable, 10)))
        XCTAssertFalse(safetyNumbersMatch(ours: ours, scanned: theirs.scannable.prefix(64)))
        let mallory = try Device(now: NOW)
        let other = try bob.safetyNumber(theirIdentity: mallory.identityKey(), ourAccount: utf8("bob@x"), theirAccount: utf8("alice@x"))
        XCTAssertFalse(safetyNumbersMatch(ours: ours, scanned: other.scannable))
    }

    func testUploadedBundlesServeConcurrentInitiators() throws {
        let bob = try Device(now: NOW)
        XCTAssertEqual(try bob.bundles(max: 10).count, 1)
        XCTAssertEqual(try bob.generateOneTimePrekeys(count: 3), 3)
        XCTAssertEqual(try bob.generateKemOneTimePrekeys(count: 1), 1)
        let bundles = try bob.bundles(max: 100)
        XCTAssertEqual(bundles.count, 3)
        XCTAssertEqual(Set(bundles).count, 3)
        // Each one-time key went out once: the next bundle carries none of them.
        XCTAssertFalse(bundles.contains(try bob.bundle()))
        for b in bundles { try verifyBundle(bundle: b) }
        // Three initiators fetch while Bob is offline; he accepts all three later.
        let firsts = try bundles.enumerated().map { i, b in
            try Device(now: NOW).initiate(bundle: b).encrypt(plaintext: utf8("from \(i)"))
        }
        for i in (0..<3).reversed() {
            XCTAssertEqual(text(try bob.accept(message: firsts[i], now: NOW).plaintext), "from \(i)")
        }
        XCTAssertEqual(try bob.oneTimePrekeyCount(), 0)
        XCTAssertEqual(try bob.kemOneTimePrekeyCount(), 0)
        assertThrows(.unknownPreKey, try bob.accept(message: firsts[1], now: NOW))
    }

    func testRotatedSignedPrekeyStillAcceptsOldBundle() throws {
        let alice = try Device(now: NOW)
        let bob = try Device(now: NOW)
        let oldBundle = try bob.bundle()
        // A fresh store is neither old nor near its replay-record limit.
        XCTAssertFalse(try bob.needsRotation(now: NOW))
        try bob.rotateSignedPrekey(now: NOW + DAY)
        try bob.rotateLastResortKemPrekey(now: NOW + DAY)
        XCTAssertNotEqual(oldBundle, try bob.bundle())
        let a = try alice.initiate(bundle: oldBundle)
        let accepted = try bob.accept(message: a.encrypt(plaintext: utf8("via old prekey")), now: NOW + DAY)
        XCTAssertEqual(text(accepted.plaintext), "via old prekey")
    }
}
