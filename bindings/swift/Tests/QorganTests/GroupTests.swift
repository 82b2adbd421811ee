import Dispatch
import Foundation
import XCTest
@testable import Qorgan

/// Sender-key groups: fan-out, removal and rotation, batch catch-up, restore.
final class GroupTests: XCTestCase {
    func testRotationAfterRemovalAndBatchCatchUp() throws {
        let alice = try Device(now: NOW)
        let ab = try establish(alice, Device(now: NOW))
        let ac = try establish(alice, Device(now: NOW))
        let out = try alice.createGroup(groupId: utf8("family"), policy: defaultPolicy, now: 1_000)
        XCTAssertEqual(try out.groupId(), utf8("family"))
        let fanout = try out.distribute(sessions: [ab.initiator, ac.initiator])
        XCTAssertEqual(fanout.count, 2)
        for r in fanout { XCTAssertNil(r.error); XCTAssertNotNil(r.ciphertext) }
        let bobRx = try GroupReceiver(
            distribution: ab.responder.decrypt(message: fanout[0].ciphertext!),
            senderIdentity: ab.responder.remoteIdentity())
        let carolRx = try GroupReceiver(
            distribution: ac.responder.decrypt(message: fanout[1].ciphertext!),
            senderIdentity: ac.responder.remoteIdentity())
        XCTAssertEqual(try bobRx.senderIdentity(), try alice.identityKey())
        XCTAssertEqual(try out.rotation(), 0)
        let firstChain = try out.chainId()
        let g0 = try out.encrypt(plaintext: utf8("g0"))
        for rx in [bobRx, carolRx] {
            // The provenance, all of it covered by the chain's signature.
            let got = try rx.decrypt(message: g0)
            XCTAssertEqual(text(got.plaintext), "g0")
            XCTAssertEqual(got.sender, try alice.identityKey())
            XCTAssertEqual(got.groupId, utf8("family"))
            XCTAssertEqual(got.chainId, firstChain)
            XCTAssertEqual(got.rotation, 0)
            XCTAssertEqual(got.iteration, 0)
        }

        // Carol is removed: no message until the rotation.
        XCTAssertNil(try out.rotationDue(now: 1_001))
        try out.markMemberRemoved()
        XCTAssertEqual(try out.rotationDue(now: 1_001), .memberRemoved)
        assertThrows(.rotationRequired, try out.encrypt(plaintext: utf8("leak")))
        let oldChain = try out.chainId()
        try out.rotate(now: 1_002)
        XCTAssertNotEqual(try out.chainId(), oldChain)
        XCTAssertEqual(try out.iteration(), 0)
        XCTAssertEqual(try out.rotation(), 1)
        XCTAssertNil(try out.rotationDue(now: 1_002))

        // Only Bob gets the new chain.
        let fanout2 = try out.distribute(sessions: [ab.initiator])
        try bobRx.add(distribution: ab.responder.decrypt(message: fanout2[0].ciphertext!),
                      senderIdentity: ab.responder.remoteIdentity())

        // Bob was offline: 100 messages caught up in one call.
        let queue = try (0..<100).map { try out.encrypt(plaintext: utf8("n\($0)")) }
        let results = try bobRx.decryptBatch(messages: queue)
        XCTAssertEqual(results.map { text($0.decrypted?.plaintext) }, (0..<100).map { "n\($0)" })
        XCTAssertTrue(results.allSatisfy { $0.error == nil })
        XCTAssertEqual(results.map { $0.decrypted?.iteration }, (0..<100).map { Int64($0) })
        let chain = try out.chainId()
        let sender = try alice.identityKey()
        XCTAssertTrue(results.allSatisfy {
            $0.decrypted?.sender == sender && $0.decrypted?.groupId == utf8("family")
                && $0.decrypted?.chainId == chain && $0.decrypted?.rotation == 1
        })
        // The old chain stays readable for Bob (g0 is a duplicate); Carol reads nothing new.
        assertThrows(.duplicate, try bobRx.decrypt(message: g0))
        assertThrows(.wrongChain, try carolRx.decrypt(message: queue[0]))
        let carolResults = try carolRx.decryptBatch(messages: Array(queue.prefix(5)))
        XCTAssertEqual(carolResults.map { $0.error?.kind }, Array(repeating: .wrongChain, count: 5))
        XCTAssertTrue(carolResults.allSatisfy { $0.decrypted == nil })
        // A batch with a duplicate, garbage and a forgery: per-message kinds.
        let last = try out.encrypt(plaintext: utf8("last"))
        let mixed = try bobRx.decryptBatch(messages: [queue[0], Data([1, 2, 3]), flipped(last, -1), last])
        XCTAssertEqual(mixed.map { $0.error?.kind }, [.duplicate, .malformed, .badSignature, nil])
        XCTAssertEqual(text(mixed[3].decrypted?.plaintext), "last")
        XCTAssertEqual(mixed[3].decrypted?.iteration, 100)
    }

    func testReceiverMovesToAnotherDeviceByExport() throws {
        let alice = try Device(now: NOW)
        let out = try alice.createGroup(groupId: utf8("g"), policy: defaultPolicy, now: 0)
        let dist = try out.distribution()
        let rx = try GroupReceiver(distribution: dist, senderIdentity: alice.identityKey())
        let first = try out.encrypt(plaintext: utf8("one"))
        XCTAssertEqual(text(try rx.decrypt(message: first).plaintext), "one")
        // The user's second device gets the export over their own 1:1 session;
        // the sender's announcement inside it is verified on import.
        let moved = try GroupReceiver.fromExport(export: rx.export())
        XCTAssertEqual(try moved.senderIdentity(), try alice.identityKey())
        assertThrows(.beforeFirstIteration, try moved.decrypt(message: first))
        let two = try out.encrypt(plaintext: utf8("two"))
        let got = try moved.decrypt(message: two)
        XCTAssertEqual(text(got.plaintext), "two")
        XCTAssertEqual(got.sender, try alice.identityKey())
        XCTAssertEqual(got.iteration, 1)
        // The sender's own distribution (from iteration 0) merges with the
        // export: iteration 0 becomes readable, iteration 1 stays consumed.
        try moved.add(distribution: dist, senderIdentity: alice.identityKey())
        XCTAssertEqual(try moved.decrypt(message: first).iteration, 0)
        assertThrows(.duplicate, try moved.decrypt(message: two))
        assertThrows(.malformed, try GroupReceiver.fromExport(export: utf8("not an export")))
    }

    func testSealAndOpenGroupState() throws {
        let key = storageKey(3)
        let alice = try Device(now: NOW)
        let ab = try establish(alice, Device(now: NOW))
        var sealedOut = Data()
        var sealedRx = Data()
        var generations: (out: Int64, rx: Int64) = (0, 0)
        do {
            let out = try alice.createGroup(groupId: utf8("g"), policy: defaultPolicy, now: 0)
            let rx = try GroupReceiver(distribution: out.distribution(), senderIdentity: ab.responder.remoteIdentity())
            XCTAssertEqual(text(try rx.decrypt(message: out.encrypt(plaintext: utf8("one"))).plaintext), "one")
            sealedRx = try rx.seal(storageKey: key)
            sealedOut = try out.seal(storageKey: key)
            generations = (try out.generation(), try rx.generation())
        }
        let out = try alice.openGroup(storageKey: key, sealed: sealedOut, groupId: utf8("g"), minGeneration: generations.out)
        let rx = try GroupReceiver.open(storageKey: key, sealed: sealedRx, groupId: utf8("g"),
                                        senderIdentity: alice.identityKey(), minGeneration: generations.rx)
        let two = try out.encrypt(plaintext: utf8("two"))
        let got = try rx.decrypt(message: two)
        XCTAssertEqual(text(got.plaintext), "two")
        XCTAssertEqual(got.iteration, 1)
        XCTAssertEqual(got.sender, try alice.identityKey())
        // The restored chain still signs as Alice: its announcement verifies.
        try verifyGroupMessage(announcement: out.announcement(), message: two)
    }

    func testPolicyLimits() throws {
        let out = try Device(now: NOW).createGroup(groupId: utf8("g"), policy: GroupPolicy(maxMessages: 3, maxAgeSecs: 60), now: 100)
        XCTAssertNil(try out.rotationDue(now: 100))
        XCTAssertEqual(try out.rotationDue(now: 161), .age)
        for i in 0..<3 { _ = try out.encrypt(plaintext: utf8("m\(i)")) }
        XCTAssertEqual(try out.rotationDue(now: 100), .messageLimit)
        assertThrows(.rotationRequired, try out.encrypt(plaintext: utf8("m3")))
        try out.rotate(now: 200)
        XCTAssertEqual(try out.rotation(), 1)
        XCTAssertFalse(try out.encrypt(plaintext: utf8("after rotation")).isEmpty)
    }

    func testConcurrentEncryptsFromManyThreads() throws {
        let alice = try Device(now: NOW)
        let ab = try establish(alice, Device(now: NOW))
        let out = try alice.createGroup(groupId: utf8("threads"), policy: defaultPolicy, now: 0)
        let rx = try GroupReceiver(distribution: out.distribution(), senderIdentity: ab.responder.remoteIdentity())
        let lock = NSLock()
        var messages: [Data] = []
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            let m = try? out.encrypt(plaintext: utf8("t\(i)"))
            lock.lock()
            if let m { messages.append(m) }
            lock.unlock()
        }
        XCTAssertEqual(messages.count, 200)
        let plain = Set(try rx.decryptBatch(messages: messages).map { text($0.decrypted?.plaintext) })
        XCTAssertEqual(plain, Set((0..<200).map { "t\($0)" }))
    }
}
