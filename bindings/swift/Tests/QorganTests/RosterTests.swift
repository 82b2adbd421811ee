import Foundation
import XCTest
@testable import Qorgan

/// A person with one device and its account.
private struct Person {
    let device: Device
    let account: Account

    init(_ label: String) throws {
        device = try Device(now: NOW)
        account = try Account.create(device: device, label: label)
    }

    func key() throws -> Data { try account.accountKey() }
    func contact() throws -> Contact { try Contact.pin(deviceList: account.deviceList()) }
    func member(_ role: RosterRole) throws -> RosterMember { RosterMember(accountKey: try key(), role: role) }
}

private func ciphertext(_ r: FanoutResult) throws -> Data {
    try XCTUnwrap(r.ciphertext, "\(String(describing: r.error))")
}

private let group = utf8("ministry-ops")
private let policy = GroupPolicy(maxMessages: 1000, maxAgeSecs: 7 * 86_400)

/// Group rosters: membership signed by admins, bound to every sender-key chain.
final class RosterTests: XCTestCase {
    func testARemovalForcesARotationAndOnlyMembersDevicesGetTheChain() throws {
        let alice = try Person("Alice"), bob = try Person("Bob"), carol = try Person("Carol")
        let mallory = try Person("operator's listener")
        let created = try Roster.create(
            admin: alice.account, groupId: group,
            members: [alice.member(.admin), bob.member(.member), carol.member(.member)])
        XCTAssertEqual(created.epoch(), 1)
        XCTAssertNil(created.previous())
        XCTAssertEqual(created.signer(), try alice.key())
        XCTAssertEqual(try created.roleOf(accountKey: alice.key()), .admin)
        XCTAssertNil(try created.roleOf(accountKey: mallory.key()))
        let r1 = try Roster.fromBytes(bytes: created.toBytes()) // as devices get it: verified

        let out = try alice.device.createGroupInRoster(roster: r1, account: alice.account, policy: policy, now: NOW)
        XCTAssertEqual(try out.roster(), r1.head())
        let sessions = try [bob, carol, mallory].map { try alice.device.initiate(bundle: $0.device.bundle()) }
        let contacts = try [bob.contact(), carol.contact(), mallory.contact()]
        let results = try out.distributeInRoster(roster: r1, account: alice.account, contacts: contacts, sessions: sessions)
        XCTAssertNil(results[2].ciphertext)
        XCTAssertEqual(results[2].error?.kind, .notInRoster)
        XCTAssertEqual(results[2].error?.message, "device not of a roster member: nothing sent")
        assertThrows(.rosterMismatch, try out.distribute(sessions: sessions))

        let aliceAtBob = try alice.contact()
        let bobFirst = try bob.device.accept(message: ciphertext(results[0]), now: NOW)
        let fromAlice = try bobFirst.session.remoteIdentity()
        assertThrows(.rosterMismatch, try GroupReceiver(distribution: bobFirst.plaintext, senderIdentity: fromAlice))
        let bobRx = try GroupReceiver.newInRoster(
            distribution: bobFirst.plaintext, senderIdentity: fromAlice, roster: r1, account: bob.account, contact: aliceAtBob)
        let carolFirst = try carol.device.accept(message: ciphertext(results[1]), now: NOW)
        let carolRx = try GroupReceiver.newInRoster(
            distribution: carolFirst.plaintext, senderIdentity: carolFirst.session.remoteIdentity(), roster: r1,
            account: carol.account, contact: alice.contact())
        let m1 = try out.encrypt(plaintext: utf8("orders"))
        for (rx, person) in [(bobRx, bob), (carolRx, carol)] {
            let read = try rx.decryptInRoster(message: m1, roster: r1, account: person.account, contact: alice.contact())
            XCTAssertEqual(text(read.plaintext), "orders")
            XCTAssertEqual(read.roster, r1.head())
        }
        assertThrows(.rosterMismatch, try bobRx.decrypt(message: m1)) // the roster check cannot be skipped
        let late = try out.encrypt(plaintext: utf8("sent before the removal"))

        // Alice removes Carol (epoch 2); devices advance to it.
        let r2 = try r1.withoutMember(admin: alice.account, accountKey: carol.key())
        let update = try r1.advance(chain: [r2.toBytes()])
        XCTAssertEqual(update.roster.head(), r2.head())
        XCTAssertEqual(update.change.before, r1.head())
        XCTAssertEqual(update.change.after, r2.head())
        XCTAssertEqual(update.change.removed, [try carol.key()])
        XCTAssertTrue(update.change.added.isEmpty)
        let oldAnnouncement = try out.announcement()

        try out.applyRoster(change: update.change)
        XCTAssertEqual(try out.rotationDue(now: NOW), .memberRemoved)
        if case .RotationRequired(let reason)? = assertThrows(.rotationRequired, try out.encrypt(plaintext: utf8("x"))) {
            XCTAssertEqual(reason, "a member was removed")
        }
        if case .StaleChain(let held, let announced)? = assertThrows(
            .staleChain,
            try out.distributeInRoster(roster: update.roster, account: alice.account, contacts: contacts, sessions: sessions)) {
            XCTAssertEqual([held, announced], [2, 1])
        }
        try out.rotate(now: NOW)
        XCTAssertEqual(try out.roster(), r2.head())
        let again = try out.distributeInRoster(roster: update.roster, account: alice.account, contacts: contacts, sessions: sessions)
        XCTAssertNil(again[0].error)
        XCTAssertEqual(again[1].error?.kind, .notInRoster)
        XCTAssertEqual(again[2].error?.kind, .notInRoster)

        // Bob, still at epoch 1, is told to fetch rosters, then takes the chain.
        let dist = try bobFirst.session.decrypt(message: ciphertext(again[0]))
        if case .RosterBehind(let held, let announced)? = assertThrows(
            .rosterBehind,
            try bobRx.addInRoster(distribution: dist, senderIdentity: fromAlice, roster: r1, account: bob.account, contact: aliceAtBob)) {
            XCTAssertEqual([held, announced], [1, 2])
        }
        let bobs = try r1.advance(chain: [r2.toBytes()]).roster
        try bobRx.addInRoster(distribution: dist, senderIdentity: fromAlice, roster: bobs, account: bob.account, contact: aliceAtBob)
        assertThrows(.staleChain, try bobs.admit(announcement: oldAnnouncement, account: bob.account, contact: aliceAtBob))
        assertThrows(.notMember, try bobs.admit(announcement: out.announcement(), account: carol.account, contact: alice.contact()))
        let m2 = try out.encrypt(plaintext: utf8("Carol's access is revoked"))
        let read = try bobRx.decryptInRoster(message: m2, roster: bobs, account: bob.account, contact: aliceAtBob)
        XCTAssertEqual(text(read.plaintext), "Carol's access is revoked")
        XCTAssertEqual(read.rotation, 1)
        XCTAssertEqual(read.roster, r2.head())
        // Sent before the change, it still reads under epoch 2.
        XCTAssertEqual(try bobRx.decryptInRoster(message: late, roster: bobs, account: bob.account, contact: aliceAtBob).roster, r1.head())
        assertThrows(.wrongChain, try carolRx.decryptInRoster(message: m2, roster: r1, account: carol.account, contact: alice.contact()))

        // Adding a member (no removal) forces a rotation too.
        let dana = try Person("Dana")
        let r3 = try bobs.withMember(admin: alice.account, accountKey: dana.key(), role: .member)
        try out.applyRoster(change: bobs.advance(chain: [r3.toBytes()]).change)
        XCTAssertEqual(try out.rotationDue(now: NOW), .rosterChanged)
    }

    func testAdmitRefusesNonMembersOtherGroupsAndChainsWithoutARoster() throws {
        let alice = try Person("Alice"), bob = try Person("Bob"), outsider = try Person("outsider")
        let r1 = try Roster.create(admin: alice.account, groupId: group, members: [alice.member(.admin), bob.member(.member)])
        let out = try bob.device.createGroupInRoster(roster: r1, account: bob.account, policy: policy, now: NOW)
        let announcement = try out.announcement()
        try r1.admit(announcement: announcement, account: alice.account, contact: bob.contact())
        try r1.admit(announcement: announcement, account: bob.account, contact: nil) // Bob's own other device
        let own = try GroupReceiver.newInRoster(
            distribution: out.distribution(), senderIdentity: bob.device.identityKey(), roster: r1, account: bob.account, contact: nil)
        XCTAssertEqual(
            text(try own.decryptInRoster(message: out.encrypt(plaintext: utf8("hi")), roster: r1, account: bob.account, contact: nil).plaintext),
            "hi")
        assertThrows(.rosterMismatch, try GroupReceiver.fromExport(export: own.export()))
        _ = try GroupReceiver.fromExportInRoster(export: own.export(), roster: r1, account: bob.account, contact: nil)
        assertThrows(.senderNotMember, try r1.admit(announcement: announcement, account: alice.account, contact: nil))
        assertThrows(.notMember, try r1.admit(announcement: announcement, account: outsider.account, contact: bob.contact()))
        assertThrows(.notMember, try outsider.device.createGroupInRoster(roster: r1, account: outsider.account, policy: policy, now: NOW))
        let other = try Roster.create(admin: alice.account, groupId: utf8("other"), members: [alice.member(.admin)])
        assertThrows(.wrongGroup, try other.admit(announcement: announcement, account: alice.account, contact: bob.contact()))
        let plain = try bob.device.createGroup(groupId: group, policy: policy, now: NOW)
        assertThrows(.rosterMismatch, try r1.admit(announcement: plain.announcement(), account: alice.account, contact: bob.contact()))
        assertThrows(.rosterMismatch, try plain.applyRoster(change: r1.advance(chain: [r1.toBytes()]).change))
    }

    func testRosterChainRefusalsAreTyped() throws {
        let alice = try Person("Alice"), bob = try Person("Bob"), dana = try Person("Dana")
        let r1 = try Roster.create(admin: alice.account, groupId: group, members: [alice.member(.admin), bob.member(.admin)])
        assertThrows(.notAdmin, try Roster.create(admin: alice.account, groupId: group, members: [alice.member(.member), bob.member(.admin)]))
        assertThrows(.notAdmin, try r1.withMember(admin: dana.account, accountKey: dana.key(), role: .admin))
        if case .InvalidRoster(let reason)? = assertThrows(.invalidRoster, try r1.withoutMember(admin: alice.account, accountKey: dana.key())) {
            XCTAssertEqual(reason, "account not a member")
        }
        assertThrows(.invalidArgument, try r1.withMember(admin: alice.account, accountKey: Data(count: 31), role: .member))

        // Two admins change the group at once: a fork.
        let r2 = try r1.withMember(admin: alice.account, accountKey: dana.key(), role: .member)
        let r2Fork = try r1.withoutMember(admin: bob.account, accountKey: alice.key())
        let held = try r1.advance(chain: [r2.toBytes()]).roster
        if case .RosterFork(let h, let seen)? = assertThrows(.rosterFork, try held.advance(chain: [r2Fork.toBytes()])) {
            XCTAssertEqual(h, r2.head())
            XCTAssertEqual(seen.epoch, 2)
        }
        if case .RosterRolledBack(let h, let offered)? = assertThrows(.rosterRolledBack, try held.advance(chain: [r1.toBytes()])) {
            XCTAssertEqual([h, offered], [2, 1])
        }
        let r3 = try r2.withoutMember(admin: alice.account, accountKey: dana.key())
        let r4 = try r3.withMember(admin: alice.account, accountKey: dana.key(), role: .member)
        if case .RosterGap(let firstMissing, let offered)? = assertThrows(.rosterGap, try held.advance(chain: [r4.toBytes()])) {
            XCTAssertEqual([firstMissing, offered], [3, 4])
        }
        XCTAssertEqual(try held.advance(chain: [r3.toBytes(), r4.toBytes()]).roster.epoch(), 4)
        let history = [r1, r2, r3, r4].map { $0.toBytes() }
        XCTAssertEqual(try Roster.fromHistory(chain: history, invited: r2.head()).head(), r4.head())
        assertThrows(.invalidRoster, try Roster.fromHistory(chain: history, invited: r2Fork.head()))
        if case .BadSignature(let what)? = assertThrows(.badSignature, try Roster.fromBytes(bytes: flipped(r2.toBytes(), -64 - 32 - 1))) {
            XCTAssertEqual(what, "group roster")
        }
    }

    func testAServerVerifiesRostersOneByOneAndInABatch() throws {
        let alice = try Person("Alice"), bob = try Person("Bob")
        let r1 = try Roster.create(admin: alice.account, groupId: group, members: [alice.member(.admin)])
        let r2 = try r1.withMember(admin: alice.account, accountKey: bob.key(), role: .member)
        let info = try verifyRoster(roster: r1.toBytes())
        XCTAssertEqual(info.groupId, group)
        XCTAssertEqual(info.epoch, 1)
        XCTAssertNil(info.previous)
        XCTAssertEqual(info.signer, try alice.key())
        XCTAssertEqual(info.head, r1.head())
        let after = try verifyRosterAfter(previous: r1.toBytes(), roster: r2.toBytes())
        XCTAssertEqual(after.previous, r1.head().hash)
        XCTAssertEqual(after.members.count, 2)
        if case .RosterNotSuccessor(let epoch, let previousEpoch)? = assertThrows(
            .rosterNotSuccessor, try verifyRosterAfter(previous: r2.toBytes(), roster: r1.toBytes())) {
            XCTAssertEqual([epoch, previousEpoch], [1, 2])
        }
        assertThrows(.invalidArgument, try verifyRosterAfter(previous: utf8("junk"), roster: r2.toBytes()))
        let results = verifyBatch(items: [
            .roster(bytes: r1.toBytes()),
            .roster(bytes: flipped(r1.toBytes(), -1)),
            .rosterAfter(previous: r1.toBytes(), bytes: r2.toBytes()),
            .rosterAfter(previous: r2.toBytes(), bytes: r1.toBytes()),
            .rosterAfter(previous: utf8("junk"), bytes: r2.toBytes()),
        ])
        XCTAssertEqual(results.map { $0.valid }, [true, false, true, false, false])
        XCTAssertEqual(results.map { $0.error?.kind }, [nil, .badSignature, nil, .rosterNotSuccessor, .invalidArgument])
    }
}
