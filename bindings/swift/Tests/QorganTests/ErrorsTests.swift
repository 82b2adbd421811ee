import Foundation
import XCTest
@testable import Qorgan

/// Every error variant that can be provoked through the API, with its kind.
///
/// Not provoked: `ChainExhausted` (a 1:1 chain runs out after 2^24-1
/// messages without a reply, too slow for a test; a group chain cannot
/// while `maxMessages` is a u32) and `Internal` (the OS random generator
/// failing, or a lock poisoned by a panic in Rust: neither can be caused
/// through the API). `NotListed` is never thrown: `fanout` reports it per
/// device in `Delivery.error` (AccountTests), as it does `NoSession`, which
/// `StoreAccount.encrypt` throws (StoreTests); nor is
/// `NotInRoster` (`distributeInRoster`'s `FanoutResult.error`, RosterTests).
/// The account errors are provoked in AccountTests, the roster and
/// certificate errors in RosterTests and CertificateTests (but
/// `SignerNotAdmin`, which needs a forged signature: Rust and Kotlin tests),
/// the store errors in StoreTests (but `Database`: SQLite failing, or a
/// lock held past the 10 s busy timeout).
final class ErrorsTests: XCTestCase {
    /// Every ErrorKind names one QorganError case: this switch and the one
    /// in `kind(of:)` are both exhaustive, so the two enums cannot drift.
    func testErrorKindsMatchErrorCases() {
        let samples: [QorganError] = [
            .Malformed(reason: ""), .BadSignature(what: ""), .AuthenticationFailed, .Duplicate(index: 0),
            .TooFarAhead(gap: 0, limit: 0), .UntrustedIdentity(reason: ""), .UnknownPreKey(what: "", id: 0),
            .PreKeyExpired(what: "", id: 0), .Replay,
            .NonContributory, .RotationRequired(reason: ""), .ChainExhausted, .WrongChain(chainId: 0, heldChainId: 0),
            .BeforeFirstIteration(iteration: 0, first: 0), .WrongGroup(reason: ""), .KeyCommitmentMismatch(iteration: 0),
            .ConflictingChainKey(chainId: 0), .ConflictingRotation(rotation: 0),
            .RetiredChain(rotation: 0, oldest: 0), .CorruptState(reason: ""),
            .WrongOwner, .RolledBack(minGeneration: 0, found: 0),
            .NotSuccessor(version: 0, previousVersion: 0), .WrongAccount,
            .ListRolledBack(held: 0, offered: 0),
            .Fork(held: ListHead(version: 0, hash: Data()), seen: ListHead(version: 0, hash: Data())),
            .Gap(firstMissing: 0, offered: 0), .InvalidList(reason: ""), .ProvisioningFailed,
            .InvalidLinkCode(reason: ""), .NoAccountKey, .DeviceNotListed, .Misaddressed, .NotListed, .NoSession,
            .InvalidRoster(reason: ""), .RosterRolledBack(held: 0, offered: 0),
            .RosterFork(held: RosterHead(epoch: 0, hash: Data()), seen: RosterHead(epoch: 0, hash: Data())),
            .RosterGap(firstMissing: 0, offered: 0), .RosterBehind(held: 0, announced: 0),
            .StaleChain(held: 0, announced: 0), .SenderNotMember, .NotMember, .RosterMismatch, .NotAdmin,
            .SignerNotAdmin, .RosterNotSuccessor(epoch: 0, previousEpoch: 0), .NotInRoster,
            .InvalidStatement(reason: ""), .UnknownIssuer, .InvalidChain(reason: ""),
            .NotYetValid(serial: 0, validFrom: 0), .Expired(serial: 0, validUntil: 0), .Revoked(serial: 0),
            .WrongSubject, .InvalidText(reason: ""),
            .WrongStorageKey, .CorruptStore(reason: ""), .NewerVersion(found: 0, supported: 0),
            .StoreRolledBack(store: 0, anchor: 0), .Database(reason: ""), .NotFound(what: ""),
            .InvalidArgument(reason: ""), .Internal(reason: ""),
        ]
        let kinds = samples.map(kind(of:))
        XCTAssertEqual(Set(kinds).count, samples.count)
        for k in kinds {
            switch k {
            case .malformed, .badSignature, .authenticationFailed, .duplicate, .tooFarAhead,
                 .untrustedIdentity, .unknownPreKey, .preKeyExpired, .replay, .nonContributory, .rotationRequired,
                 .chainExhausted, .wrongChain, .beforeFirstIteration, .wrongGroup,
                 .keyCommitmentMismatch, .conflictingChainKey, .conflictingRotation, .retiredChain,
                 .corruptState, .wrongOwner, .rolledBack, .notSuccessor, .wrongAccount, .listRolledBack,
                 .fork, .gap, .invalidList, .provisioningFailed, .invalidLinkCode, .noAccountKey,
                 .deviceNotListed, .misaddressed, .notListed, .noSession,
                 .invalidRoster, .rosterRolledBack, .rosterFork, .rosterGap, .rosterBehind, .staleChain,
                 .senderNotMember, .notMember, .rosterMismatch, .notAdmin, .signerNotAdmin,
                 .rosterNotSuccessor, .notInRoster, .invalidStatement, .unknownIssuer, .invalidChain,
                 .notYetValid, .expired, .revoked, .wrongSubject, .invalidText,
                 .wrongStorageKey, .corruptStore, .newerVersion, .storeRolledBack, .database, .notFound,
                 .invalidArgument, .internal:
                break
            }
        }
    }

    func testMalformed() throws {
        assertThrows(.malformed, try verifyBundle(bundle: Data([1, 2, 3])))
        assertThrows(.malformed, try verifyIdentity(identity: Data()))
        let d = try Device(now: NOW)
        assertThrows(.malformed, try d.initiate(bundle: utf8("not a bundle")))
        assertThrows(.malformed, try d.accept(message: Data(count: 10), now: NOW))
        let bob = try Device(now: NOW)
        let s = try establish(Device(now: NOW), bob)
        // A normal (non-prekey) message given to Device.accept.
        assertThrows(.malformed, try bob.accept(message: s.initiator.encrypt(plaintext: utf8("x")), now: NOW))
        assertThrows(.malformed, try s.responder.decrypt(message: Data([1, 1, 0])))
    }

    func testBadSignature() throws {
        let bob = try Device(now: NOW)
        // A byte inside the signed prekey's public key (after 2 + 128 + 4).
        let tampered = flipped(try bob.bundle(), 2 + 128 + 4 + 5)
        if case .BadSignature(let what)? = assertThrows(.badSignature, try verifyBundle(bundle: tampered)) {
            XCTAssertFalse(what.isEmpty)
        }
        assertThrows(.badSignature, try Device(now: NOW).initiate(bundle: tampered))
        // The identity binding signature (inside the 128-byte identity).
        assertThrows(.badSignature, try verifyIdentity(identity: flipped(bob.identityKey(), 2 + 70)))

        let alice = try Device(now: NOW)
        let s = try establish(alice, bob)
        let out = try alice.createGroup(groupId: utf8("g"), policy: defaultPolicy, now: 0)
        let rx = try GroupReceiver(distribution: out.distribution(), senderIdentity: s.responder.remoteIdentity())
        let m = try out.encrypt(plaintext: utf8("signed"))
        // A byte of the message signature (its last 64 bytes).
        assertThrows(.badSignature, try rx.decrypt(message: flipped(m, -40)))
        XCTAssertEqual(text(try rx.decrypt(message: m).plaintext), "signed")
        // An announcement ends with the chain key's proof of possession (64
        // bytes) and the identity's signature (64 bytes).
        let announcement = try out.announcement()
        if case .BadSignature(let what)? = assertThrows(
            .badSignature, try verifyAnnouncement(announcement: flipped(announcement, -64 - 10))) {
            XCTAssertEqual(what, "sender-key proof of possession")
        }
        if case .BadSignature(let what)? = assertThrows(
            .badSignature, try verifyAnnouncement(announcement: flipped(announcement, -10))) {
            XCTAssertEqual(what, "sender-key distribution")
        }
    }

    func testAuthenticationFailedLeavesTheSessionUnchanged() throws {
        let s = try establish(Device(now: NOW), Device(now: NOW))
        let m = try s.initiator.encrypt(plaintext: utf8("payload"))
        assertThrows(.authenticationFailed, try s.responder.decrypt(message: flipped(m, -1)))
        assertThrows(.authenticationFailed, try s.responder.decrypt(message: flipped(m, 36)))
        XCTAssertEqual(text(try s.responder.decrypt(message: m)), "payload")
    }

    func testDuplicate() throws {
        let s = try establish(Device(now: NOW), Device(now: NOW))
        let m = try s.initiator.encrypt(plaintext: utf8("once"))
        _ = try s.responder.decrypt(message: m)
        if case .Duplicate(let index)? = assertThrows(.duplicate, try s.responder.decrypt(message: m)) {
            XCTAssertEqual(index, 0) // the first message of the initiator's chain after the reply
        }
    }

    func testTooFarAhead() throws {
        let s = try establish(Device(now: NOW), Device(now: NOW))
        var last = Data()
        for i in 0..<2_100 { last = try s.initiator.encrypt(plaintext: utf8("m\(i)")) }
        if case .TooFarAhead(let gap, let limit)? = assertThrows(.tooFarAhead, try s.responder.decrypt(message: last)) {
            XCTAssertEqual(limit, 2_000)
            XCTAssertGreaterThan(gap, 2_000)
        }
    }

    func testUntrustedIdentity() throws {
        let alice = try Device(now: NOW)
        let bob = try Device(now: NOW)
        let carol = try Device(now: NOW)
        let ab = try establish(alice, bob)
        let cb = try establish(carol, bob)
        let out = try alice.createGroup(groupId: utf8("g"), policy: defaultPolicy, now: 0)
        // Alice's distribution claimed to come from Carol.
        assertThrows(.untrustedIdentity, try GroupReceiver(distribution: out.distribution(), senderIdentity: cb.responder.remoteIdentity()))
        let rx = try GroupReceiver(distribution: out.distribution(), senderIdentity: ab.responder.remoteIdentity())
        try out.rotate(now: 1)
        assertThrows(.untrustedIdentity, try rx.add(distribution: out.distribution(), senderIdentity: cb.responder.remoteIdentity()))
        // A prekey message of another session.
        let foreign = try Device(now: NOW).initiate(bundle: bob.bundle()).encrypt(plaintext: utf8("to bob"))
        let a2 = try alice.initiate(bundle: bob.bundle())
        let b2 = try bob.accept(message: a2.encrypt(plaintext: utf8("second session")), now: NOW).session
        assertThrows(.untrustedIdentity, try b2.decrypt(message: foreign))
    }

    func testUnknownPreKeyAndReplay() throws {
        let alice = try Device(now: NOW)
        let bob = try Device(now: NOW)
        XCTAssertEqual(try bob.generateOneTimePrekeys(count: 1), 1)
        let first = try alice.initiate(bundle: bob.bundle()).encrypt(plaintext: utf8("with one-time prekey"))
        _ = try bob.accept(message: first, now: NOW)
        if case .UnknownPreKey(let what, let id)? = assertThrows(.unknownPreKey, try bob.accept(message: first, now: NOW)) {
            XCTAssertGreaterThan(id, 0)
            XCTAssertEqual(what, "one-time prekey")
        }
        // No one-time prekey left: the handshake's base key is remembered.
        let second = try alice.initiate(bundle: bob.bundle()).encrypt(plaintext: utf8("without one-time prekey"))
        _ = try bob.accept(message: second, now: NOW)
        assertThrows(.replay, try bob.accept(message: second, now: NOW))
        // A signed prekey rotated out (after MAX_RETIRED_SIGNED_PREKEYS = 3 more rotations).
        let bob1 = try Device(now: NOW)
        let late = try alice.initiate(bundle: bob1.bundle()).encrypt(plaintext: utf8("to bob1"))
        for _ in 0..<4 { try bob1.rotateSignedPrekey(now: NOW) }
        assertThrows(.unknownPreKey, try bob1.accept(message: late, now: NOW))
    }

    func testNonContributory() throws {
        let alice = try Device(now: NOW)
        let bob = try Device(now: NOW)
        let a = try alice.initiate(bundle: bob.bundle())
        let b = try bob.accept(message: a.encrypt(plaintext: utf8("hello")), now: NOW).session
        // Bob's reply with its ratchet key (bytes 2..<34) set to the all-zero point.
        var reply = [UInt8](try b.encrypt(plaintext: utf8("reply")))
        XCTAssertEqual(reply[1], 1, "a normal message")
        for i in 2..<34 { reply[i] = 0 }
        assertThrows(.nonContributory, try a.decrypt(message: Data(reply)))
    }

    func testRotationRequired() throws {
        let out = try Device(now: NOW).createGroup(groupId: utf8("g"), policy: defaultPolicy, now: 0)
        try out.markMemberRemoved()
        if case .RotationRequired(let reason)? = assertThrows(.rotationRequired, try out.encrypt(plaintext: utf8("x"))) {
            XCTAssertFalse(reason.isEmpty)
        }
    }

    func testWrongChainAndBeforeFirstIteration() throws {
        let alice = try Device(now: NOW)
        let s = try establish(alice, Device(now: NOW))
        let out = try alice.createGroup(groupId: utf8("g"), policy: defaultPolicy, now: 0)
        let early = try out.encrypt(plaintext: utf8("before the distribution"))
        let rx = try GroupReceiver(distribution: out.distribution(), senderIdentity: s.responder.remoteIdentity())
        if case .BeforeFirstIteration(let iteration, let first)? = assertThrows(.beforeFirstIteration, try rx.decrypt(message: early)) {
            XCTAssertEqual(iteration, 0)
            XCTAssertEqual(first, 1)
        }
        let held = try out.chainId()
        try out.rotate(now: 10)
        let error = assertThrows(.wrongChain, try rx.decrypt(message: out.encrypt(plaintext: utf8("new chain"))))
        if case .WrongChain(let chainId, let heldChainId)? = error {
            XCTAssertEqual(heldChainId, held)
            XCTAssertEqual(chainId, try out.chainId())
            XCTAssertEqual(error?.errorDescription,
                           String(format: "group message for chain 0x%08x, this receiver holds chain 0x%08x", chainId, held))
        }
    }

    func testWrongGroup() throws {
        let alice = try Device(now: NOW)
        let g1 = try alice.createGroup(groupId: utf8("g1"), policy: defaultPolicy, now: 0)
        let g2 = try alice.createGroup(groupId: utf8("g2"), policy: defaultPolicy, now: 0)
        let rx = try GroupReceiver(distribution: g1.distribution(), senderIdentity: alice.identityKey())
        assertThrows(.wrongGroup, try rx.add(distribution: g2.distribution(), senderIdentity: alice.identityKey()))
    }

    func testCorruptState() throws {
        let d = try Device(now: NOW)
        let sealed = try d.seal(storageKey: storageKey(1))
        let id = try d.identityKey()
        assertThrows(.corruptState, try Device.open(storageKey: storageKey(2), sealed: sealed, identityKey: id, minGeneration: 0))
        assertThrows(.corruptState, try Device.open(storageKey: storageKey(1), sealed: flipped(sealed, -1), identityKey: id, minGeneration: 0))
        assertThrows(.corruptState, try Session.open(storageKey: storageKey(1), sealed: sealed, sessionId: Data(count: 32), minGeneration: 0))
        assertThrows(.corruptState, try d.openGroup(storageKey: storageKey(1), sealed: Data(count: 100), groupId: utf8("g"), minGeneration: 0))
        assertThrows(.corruptState, try GroupReceiver.open(storageKey: storageKey(1), sealed: Data(), groupId: utf8("g"),
                                                           senderIdentity: id, minGeneration: 0))
    }

    func testInvalidArgument() throws {
        let d = try Device(now: NOW)
        assertThrows(.invalidArgument, try d.seal(storageKey: Data(count: 31)))
        assertThrows(.invalidArgument, try Device.open(storageKey: Data(count: 33), sealed: Data(count: 10),
                                                       identityKey: d.identityKey(), minGeneration: 0))
        assertThrows(.invalidArgument, try Session.open(storageKey: storageKey(1), sealed: Data(count: 10),
                                                        sessionId: Data(count: 31), minGeneration: 0))
        let out = try d.createGroup(groupId: Data(count: 64), policy: defaultPolicy, now: 0)
        assertThrows(.invalidArgument, try out.seal(storageKey: Data()))
        assertThrows(.invalidArgument, try d.createGroup(groupId: Data(count: 65), policy: defaultPolicy, now: 0))
        // Integers are Int64; what the library cannot hold is refused, not wrapped.
        assertThrows(.invalidArgument, try Device(now: -1))
        assertThrows(.invalidArgument, try d.bundles(max: -1))
        assertThrows(.invalidArgument, try d.generateOneTimePrekeys(count: Int64(UInt32.max) + 1))
        assertThrows(.invalidArgument, try d.needsRotation(now: Int64.min))
    }

    func testKeyCommitmentMismatchAndConflictingChainKeyFromATamperedExport() throws {
        let alice = try Device(now: NOW)
        let s = try establish(alice, Device(now: NOW))
        let out = try alice.createGroup(groupId: utf8("g"), policy: defaultPolicy, now: 0)
        let dist = try s.responder.decrypt(message: s.initiator.encrypt(plaintext: out.distribution()))
        let rx = try GroupReceiver(distribution: dist, senderIdentity: s.responder.remoteIdentity())
        let export = try rx.export()
        // The export's announcement is signed (checked on import); its chain
        // key, the last 32 bytes, is not: the import succeeds ...
        let wrong = try GroupReceiver.fromExport(export: flipped(export, -1))
        XCTAssertEqual(try wrong.senderIdentity(), try alice.identityKey())
        // ... and every message then fails its key commitment.
        let m = try out.encrypt(plaintext: utf8("m"))
        if case .KeyCommitmentMismatch(let iteration)? = assertThrows(
            .keyCommitmentMismatch, try wrong.decrypt(message: m)) {
            XCTAssertEqual(iteration, 0)
        }
        let batch = try wrong.decryptBatch(messages: [m])
        XCTAssertNil(batch[0].decrypted)
        XCTAssertEqual(batch[0].error?.kind, .keyCommitmentMismatch)
        XCTAssertTrue(batch[0].error?.message.contains("key commitment mismatch at iteration 0") ?? false)
        // The sender's own distribution of that chain does not merge with it.
        if case .ConflictingChainKey(let chainId)? = assertThrows(
            .conflictingChainKey, try wrong.add(distribution: dist, senderIdentity: s.responder.remoteIdentity())) {
            XCTAssertEqual(chainId, try out.chainId())
        }
        // The genuine copy reads the message.
        XCTAssertEqual(text(try rx.decrypt(message: m).plaintext), "m")
        // A flipped bit in the identity's signature (before iteration and chain key).
        if case .BadSignature(let what)? = assertThrows(
            .badSignature, try GroupReceiver.fromExport(export: flipped(export, -36 - 10))) {
            XCTAssertEqual(what, "sender-key distribution")
        }
    }

    func testConflictingRotationAndRetiredChain() throws {
        let key = storageKey(5)
        let alice = try Device(now: NOW)
        let out = try alice.createGroup(groupId: utf8("g"), policy: defaultPolicy, now: 0)
        let first = try out.distribution()
        let rx = try GroupReceiver(distribution: first, senderIdentity: alice.identityKey())
        // A copy of the sender's state rotated apart from the original: two
        // different chains announced as rotation 1.
        let fork = try alice.openGroup(storageKey: key, sealed: out.seal(storageKey: key), groupId: utf8("g"),
                                       minGeneration: out.generation())
        try out.rotate(now: 1)
        try fork.rotate(now: 1)
        XCTAssertEqual(try fork.rotation(), 1)
        try rx.add(distribution: out.distribution(), senderIdentity: alice.identityKey())
        if case .ConflictingRotation(let rotation)? = assertThrows(
            .conflictingRotation, try rx.add(distribution: fork.distribution(), senderIdentity: alice.identityKey())) {
            XCTAssertEqual(rotation, 1)
        }
        assertThrows(.wrongChain, try rx.decrypt(message: fork.encrypt(plaintext: utf8("refused"))))
        // The current chain and two retired ones are kept: after two more
        // rotations rotation 0 is dropped, and stays dropped.
        for now in 2...3 {
            try out.rotate(now: Int64(now))
            try rx.add(distribution: out.distribution(), senderIdentity: alice.identityKey())
        }
        if case .RetiredChain(let rotation, let oldest)? = assertThrows(
            .retiredChain, try rx.add(distribution: first, senderIdentity: alice.identityKey())) {
            XCTAssertEqual(rotation, 0)
            XCTAssertEqual(oldest, 1)
        }
        XCTAssertEqual(try rx.decrypt(message: out.encrypt(plaintext: utf8("current"))).rotation, 3)
    }

    func testWrongOwner() throws {
        // Authentic sealed state of another object than the one asked for.
        let key = storageKey(6)
        let alice = try Device(now: NOW)
        let bob = try Device(now: NOW)
        let carol = try Device(now: NOW)
        let ab = try establish(alice, bob)
        let ac = try establish(alice, carol)
        // Carol's session stored where Bob's should be.
        assertThrows(.wrongOwner, try Session.open(storageKey: key, sealed: ac.initiator.seal(storageKey: key),
                                                   sessionId: ab.initiator.sessionId(), minGeneration: 0))
        // Another device's state.
        assertThrows(.wrongOwner, try Device.open(storageKey: key, sealed: bob.seal(storageKey: key),
                                                  identityKey: carol.identityKey(), minGeneration: 0))
        // Another group's chain; another sender's receiver.
        let out = try alice.createGroup(groupId: utf8("g1"), policy: defaultPolicy, now: NOW)
        assertThrows(.wrongOwner, try alice.openGroup(storageKey: key, sealed: out.seal(storageKey: key),
                                                      groupId: utf8("g2"), minGeneration: 0))
        let rx = try GroupReceiver(distribution: out.distribution(), senderIdentity: alice.identityKey())
        assertThrows(.wrongOwner, try GroupReceiver.open(
            storageKey: key, sealed: rx.seal(storageKey: key), groupId: utf8("g1"),
            senderIdentity: bob.identityKey(), minGeneration: 0))
        XCTAssertEqual(try rx.groupId(), utf8("g1"))
        _ = try GroupReceiver.open(storageKey: key, sealed: rx.seal(storageKey: key), groupId: utf8("g1"),
                                   senderIdentity: alice.identityKey(), minGeneration: rx.generation())
    }

    func testRolledBack() throws {
        // An older blob of the expected object than the generation recorded.
        let key = storageKey(7)
        let bob = try Device(now: NOW)
        let s = try establish(Device(now: NOW), bob)
        let a = s.initiator
        let older = try a.seal(storageKey: key)
        XCTAssertEqual(text(try s.responder.decrypt(message: a.encrypt(plaintext: utf8("after the backup")))),
                       "after the backup")
        let newer = try a.seal(storageKey: key)
        XCTAssertEqual(try a.generation(), 2)
        if case .RolledBack(let minGeneration, let found)? = assertThrows(.rolledBack, try Session.open(
            storageKey: key, sealed: older, sessionId: a.sessionId(), minGeneration: a.generation())) {
            XCTAssertEqual(minGeneration, 2)
            XCTAssertEqual(found, 1)
        }
        let restored = try Session.open(storageKey: key, sealed: newer, sessionId: a.sessionId(), minGeneration: 2)
        XCTAssertEqual(try restored.generation(), 2)
        let oldDevice = try bob.seal(storageKey: key)
        _ = try bob.seal(storageKey: key)
        assertThrows(.rolledBack, try Device.open(storageKey: key, sealed: oldDevice, identityKey: bob.identityKey(),
                                                  minGeneration: bob.generation()))
    }

    func testPreKeyExpired() throws {
        let alice = try Device(now: NOW)
        let bob = try Device(now: NOW)
        let first = try alice.initiate(bundle: bob.bundle()).encrypt(plaintext: utf8("from a bundle fetched long ago"))
        try bob.rotateSignedPrekey(now: NOW + DAY)
        // 28 days after its retirement the old signed prekey is refused.
        let expiry = NOW + DAY + 28 * DAY
        if case .PreKeyExpired(let what, let id)? = assertThrows(.preKeyExpired, try bob.accept(message: first, now: expiry)) {
            XCTAssertEqual(what, "signed prekey")
            XCTAssertEqual(id, 1)
        }
        XCTAssertEqual(try bob.prune(now: expiry), 1)
        assertThrows(.unknownPreKey, try bob.accept(message: first, now: expiry))
    }
}
