import Foundation
import XCTest
@testable import Qorgan

/// The delivery for `device` in a fan-out's result.
private func delivery(_ deliveries: [Delivery], to device: Device) throws -> Delivery {
    let key = try device.identityKey()
    return try XCTUnwrap(deliveries.first { $0.identityKey == key })
}

/// What `to` reads of a delivery that starts a session: sender identity and plaintext.
private func read(_ to: Device, _ d: Delivery) throws -> (Data, Data) {
    let accepted = try to.accept(message: XCTUnwrap(d.ciphertext, "\(String(describing: d.error))"), now: NOW)
    return (try accepted.session.remoteIdentity(), accepted.plaintext)
}

/// Links `device` to `account` by its code; returns the new device's account.
@discardableResult
private func link(_ account: Account, _ device: Device, _ label: String, shareKey: Bool = false) throws -> Account {
    let request = try LinkRequest(device: device)
    let message = try account.provision(linkCode: request.code(), label: label, contacts: [], shareAccountKey: shareKey)
    return try request.complete(message: message).account
}

/// Accounts and devices: linking, contacts, fan-out, refusals, account safety numbers.
final class AccountTests: XCTestCase {
    func testLinkingASecondDeviceByItsCode() throws {
        let phone = try Device(now: NOW)
        let tablet = try Device(now: NOW)
        let bob = try Account.create(device: phone, label: "Bob's phone")
        let alice = try Account.create(device: Device(now: NOW), label: "Alice")
        let aliceAtBob = try Contact.pin(deviceList: alice.deviceList())

        // The tablet shows its code; the phone scans it and sees who asks.
        let request = try LinkRequest(device: tablet)
        let code = try request.code()
        XCTAssertEqual(code.count, 285)
        XCTAssertTrue(code.allSatisfy { ("A"..."Z").contains($0) || ("2"..."7").contains($0) })
        XCTAssertEqual(try linkCodeDevice(linkCode: code), try tablet.identityKey())
        let message = try bob.provision(linkCode: code, label: "Bob's tablet", contacts: [aliceAtBob], shareAccountKey: false)
        XCTAssertEqual(try bob.head().version, 2)

        assertThrows(.provisioningFailed, try request.complete(message: flipped(message, -1)))
        assertThrows(.provisioningFailed, try LinkRequest(device: Device(now: NOW)).complete(message: message))
        let provisioned = try request.complete(message: message)
        let tabletAccount = provisioned.account
        XCTAssertTrue(try tabletAccount.isListed())
        XCTAssertFalse(try tabletAccount.holdsAccountKey())
        XCTAssertEqual(try tabletAccount.deviceList(), try bob.deviceList())
        XCTAssertEqual(try tabletAccount.devices().map { $0.label }.sorted(), ["Bob's phone", "Bob's tablet"])
        XCTAssertEqual(provisioned.contacts.count, 1)
        XCTAssertEqual(try provisioned.contacts[0].accountKey(), try alice.accountKey())
        // Replayed: refused. Without the account key the tablet cannot change the list.
        assertThrows(.provisioningFailed, try request.complete(message: message))
        assertThrows(.noAccountKey, try tabletAccount.removeDevice(identityKey: phone.identityKey()))
        assertThrows(.invalidLinkCode, try linkCodeDevice(linkCode: code.lowercased()))
        assertThrows(.invalidList, try Account.create(device: phone, label: String(repeating: "x", count: 65)))

        // Sealed by its account key, restored at its generation.
        let key = storageKey(3)
        let sealed = try tabletAccount.seal(storageKey: key)
        let generation = try tabletAccount.generation()
        XCTAssertEqual(generation, 1)
        let restored = try Account.open(storageKey: key, sealed: sealed, accountKey: tabletAccount.accountKey(), minGeneration: generation)
        XCTAssertEqual(try restored.head(), try bob.head())
        assertThrows(.wrongOwner, try Account.open(storageKey: key, sealed: sealed, accountKey: alice.accountKey(), minGeneration: 0))
        assertThrows(.rolledBack, try Account.open(storageKey: key, sealed: sealed, accountKey: tabletAccount.accountKey(), minGeneration: 2))
    }

    func testAContactNoticesTheNewDeviceAndSendsToBoth() throws {
        let phone = try Device(now: NOW)
        let tablet = try Device(now: NOW)
        let alicePhone = try Device(now: NOW)
        let bob = try Account.create(device: phone, label: "phone")
        let alice = try Account.create(device: alicePhone, label: "Alice")
        let bobAtAlice = try Contact.pin(deviceList: bob.deviceList())
        let tabletAccount = try link(bob, tablet, "Bob's tablet")

        let change = try bobAtAlice.update(chain: [bob.deviceList()])
        XCTAssertEqual(change.before.version, 1)
        XCTAssertEqual(change.after.version, 2)
        XCTAssertEqual(change.added, [DeviceInfo(identityKey: try tablet.identityKey(), label: "Bob's tablet")])
        XCTAssertEqual(change.removed, [])
        XCTAssertTrue(try bobAtAlice.allows(identityKey: tablet.identityKey()))
        let same = try bobAtAlice.update(chain: [bob.deviceList()])
        XCTAssertEqual(same.before, same.after)

        let deliveries = try fanout(
            account: alice, contact: bobAtAlice,
            sessions: [alicePhone.initiate(bundle: phone.bundle()), alicePhone.initiate(bundle: tablet.bundle())],
            body: utf8("to both"))
        XCTAssertEqual(deliveries.count, 2)
        XCTAssertTrue(deliveries.allSatisfy { $0.error == nil })
        let aliceAtBob = try Contact.pin(deviceList: alice.deviceList())
        for (device, account) in [(phone, bob), (tablet, tabletAccount)] {
            let (from, plaintext) = try read(device, delivery(deliveries, to: device))
            XCTAssertEqual(try envelopeAccounts(plaintext: plaintext),
                           EnvelopeAccounts(sender: try alice.accountKey(), recipient: try bob.accountKey()))
            let got = try receive(account: account, contact: aliceAtBob, senderIdentity: from, plaintext: plaintext)
            XCTAssertEqual(text(got.body), "to both")
            let report = try XCTUnwrap(got.report)
            XCTAssertEqual(report.sender, .same)
            XCTAssertEqual(report.peer, .same)
            XCTAssertFalse(report.fork)
        }
    }

    func testADeviceTheServerSlippedInIsRefused() throws {
        let bobPhone = try Device(now: NOW)
        let alicePhone = try Device(now: NOW)
        let ghost = try Device(now: NOW)
        let bob = try Account.create(device: bobPhone, label: "Bob's phone")
        let alice = try Account.create(device: alicePhone, label: "Alice's phone")
        let bobAtAlice = try Contact.pin(deviceList: bob.deviceList())
        // The operator cannot list its device under Bob's account key.
        let op = try Account.create(device: ghost, label: "Bob's tablet")
        assertThrows(.wrongAccount, try bobAtAlice.update(chain: [op.deviceList()]))
        assertThrows(.badSignature, try bobAtAlice.update(chain: [flipped(bob.deviceList(), -70)]))
        XCTAssertFalse(try bobAtAlice.allows(identityKey: ghost.identityKey()))

        let deliveries = try fanout(
            account: alice, contact: bobAtAlice,
            sessions: [alicePhone.initiate(bundle: bobPhone.bundle()), alicePhone.initiate(bundle: ghost.bundle())],
            body: utf8("orders"))
        XCTAssertEqual(deliveries.count, 2)
        XCTAssertNotNil(try delivery(deliveries, to: bobPhone).ciphertext)
        let toGhost = try delivery(deliveries, to: ghost)
        XCTAssertNil(toGhost.ciphertext)
        XCTAssertEqual(toGhost.error?.kind, .notListed)
        XCTAssertEqual(toGhost.error?.message, "device not in the account's device list: nothing sent")

        // The ghost writes to Alice from the operator's account: its
        // envelope names that account, not Bob's conversation.
        let fromGhost = try fanout(
            account: op, contact: Contact.pin(deviceList: alice.deviceList()),
            sessions: [ghost.initiate(bundle: alicePhone.bundle())], body: utf8("files?"))
        let (from, plaintext) = try read(alicePhone, XCTUnwrap(fromGhost.first))
        assertThrows(.misaddressed, try receive(account: alice, contact: bobAtAlice, senderIdentity: from, plaintext: plaintext))
        // The ghost writes as "Bob" (an envelope naming Bob's account, made
        // by hand): refused by the account layer, it is not in Bob's list.
        let envelope = Data([0x01, 0x31]) + (try bob.accountKey()) + (try alice.accountKey()) + Data([0]) + utf8("files?")
        let asBob = try alicePhone.accept(
            message: ghost.initiate(bundle: alicePhone.bundle()).encrypt(plaintext: envelope), now: NOW)
        XCTAssertEqual(try envelopeAccounts(plaintext: asBob.plaintext).sender, try bob.accountKey())
        assertThrows(.deviceNotListed, try receive(
            account: alice, contact: bobAtAlice, senderIdentity: asBob.session.remoteIdentity(), plaintext: asBob.plaintext))
    }

    func testARolledBackListIsRefused() throws {
        let phone = try Device(now: NOW)
        let tablet = try Device(now: NOW)
        let bob = try Account.create(device: phone, label: "phone")
        let v1 = try bob.deviceList()
        try link(bob, tablet, "tablet")
        let v2 = try bob.deviceList()
        let contact = try Contact.pin(deviceList: v1)
        let v3 = try bob.removeDevice(identityKey: tablet.identityKey())
        if case .Gap(let firstMissing, let offered)? = assertThrows(.gap, try contact.update(chain: [v3])) {
            XCTAssertEqual([firstMissing, offered], [2, 3])
        }
        _ = try contact.update(chain: [v2, v3])
        XCTAssertFalse(try contact.allows(identityKey: tablet.identityKey()))
        for (old, version) in [(v2, Int64(2)), (v1, Int64(1))] {
            if case .ListRolledBack(let held, let offered)? = assertThrows(.listRolledBack, try contact.update(chain: [old])) {
                XCTAssertEqual(held, 3)
                XCTAssertEqual(offered, version)
            }
        }
        XCTAssertEqual(try contact.head(), try bob.head())
        XCTAssertEqual(try contact.devices().count, 1)
    }

    func testAForkIsSeenThroughTheHeadsInMessages() throws {
        let bobPhone = try Device(now: NOW)
        let laptop = try Device(now: NOW)
        let alicePhone = try Device(now: NOW)
        let bob = try Account.create(device: bobPhone, label: "phone")
        let alice = try Account.create(device: alicePhone, label: "Alice")
        let laptopAccount = try link(bob, laptop, "laptop", shareKey: true)
        let bobAtAlice = try Contact.pin(deviceList: bob.deviceList())
        // Bob removes the stolen laptop; the thief lists a ghost in another version 3.
        _ = try bob.removeDevice(identityKey: laptop.identityKey())
        try link(laptopAccount, Device(now: NOW), "ghost")
        _ = try bobAtAlice.update(chain: [laptopAccount.deviceList()])
        if case .Fork(let held, let seen)? = assertThrows(.fork, try bob.update(chain: [laptopAccount.deviceList()])) {
            XCTAssertEqual(held, try bob.head())
            XCTAssertEqual(seen, try laptopAccount.head())
        }
        let d = try fanout(
            account: bob, contact: Contact.pin(deviceList: alice.deviceList()),
            sessions: [bobPhone.initiate(bundle: alicePhone.bundle())], body: utf8("hi"))
        let (from, plaintext) = try read(alicePhone, XCTUnwrap(d.first))
        let report = try XCTUnwrap(try receive(account: alice, contact: bobAtAlice, senderIdentity: from, plaintext: plaintext).report)
        XCTAssertTrue(report.fork)
        XCTAssertEqual(report.sender, .fork(held: try laptopAccount.head(), seen: try bob.head()))
    }

    func testAccountSafetyNumbersStayWhenDevicesChange() throws {
        let bob = try Account.create(device: Device(now: NOW), label: "phone")
        let alice = try Account.create(device: Device(now: NOW), label: "Alice")
        let bobAtAlice = try Contact.pin(deviceList: bob.deviceList())
        let aliceAtBob = try Contact.pin(deviceList: alice.deviceList())
        let before = try alice.safetyNumber(ownId: utf8("alice"), contact: bobAtAlice, theirId: utf8("bob"))
        try link(bob, Device(now: NOW), "tablet")
        _ = try bobAtAlice.update(chain: [bob.deviceList()])
        let after = try alice.safetyNumber(ownId: utf8("alice"), contact: bobAtAlice, theirId: utf8("bob"))
        XCTAssertEqual(before.display, after.display)
        let atBob = try bob.safetyNumber(ownId: utf8("bob"), contact: aliceAtBob, theirId: utf8("alice"))
        XCTAssertEqual(atBob.display, after.display)
        XCTAssertTrue(safetyNumbersMatch(ours: atBob, scanned: after.scannable))
        let other = try alice.safetyNumber(ownId: utf8("alice"), contact: bobAtAlice, theirId: utf8("eve"))
        XCTAssertFalse(safetyNumbersMatch(ours: other, scanned: after.scannable))
    }

    func testAServerVerifiesListsAndTheirContinuity() throws {
        let phone = try Device(now: NOW)
        let bob = try Account.create(device: phone, label: "phone")
        let v1 = try bob.deviceList()
        let v1Head = try bob.head()
        try link(bob, Device(now: NOW), "tablet")
        let v2 = try bob.deviceList()
        XCTAssertEqual(try verifyDeviceList(deviceList: v1), DeviceListInfo(
            accountKey: try bob.accountKey(), version: 1, previous: nil,
            devices: [DeviceInfo(identityKey: try phone.identityKey(), label: "phone")], head: v1Head))
        let key = try bob.accountKey()
        let next = try verifyDeviceListAfter(accountKey: key, previous: v1Head, deviceList: v2)
        XCTAssertEqual(next.previous, v1Head.hash)
        XCTAssertEqual(next.head, try bob.head())
        if case .NotSuccessor(let version, let previousVersion)? = assertThrows(
            .notSuccessor, try verifyDeviceListAfter(accountKey: key, previous: v1Head, deviceList: v1)) {
            XCTAssertEqual([version, previousVersion], [1, 1])
        }
        assertThrows(.invalidArgument, try verifyDeviceListAfter(accountKey: key.prefix(31), previous: v1Head,
                                                                 deviceList: v2))
        // Another account's list naming the head held for Bob (here
        // Mallory's own first head) is not Bob's next list.
        let mallory = try Account.create(device: Device(now: NOW), label: "phone")
        let held = try mallory.head()
        try link(mallory, Device(now: NOW), "tablet")
        let malloryV2 = try mallory.deviceList()
        XCTAssertEqual(try verifyDeviceListAfter(accountKey: mallory.accountKey(), previous: held,
                                                 deviceList: malloryV2).previous, held.hash)
        assertThrows(.notSuccessor, try verifyDeviceListAfter(accountKey: key, previous: held, deviceList: malloryV2))
        assertThrows(.badSignature, try verifyDeviceList(deviceList: flipped(v2, -1)))
        let results = verifyBatch(items: [
            .deviceList(bytes: v1), .deviceListAfter(accountKey: key, previous: v1Head, bytes: v2),
            .deviceListAfter(accountKey: key, previous: v1Head, bytes: v1), .deviceList(bytes: utf8("junk")),
            .deviceListAfter(accountKey: key, previous: held, bytes: malloryV2),
        ])
        XCTAssertEqual(results.map { $0.error?.kind }, [nil, nil, .notSuccessor, .malformed, .notSuccessor])
    }

    func testOwnDeviceCopiesAreRoutedByTheirEnvelope() throws {
        let phone = try Device(now: NOW)
        let tablet = try Device(now: NOW)
        let bob = try Account.create(device: phone, label: "phone")
        let tabletAccount = try link(bob, tablet, "tablet")
        let alice = try Account.create(device: Device(now: NOW), label: "Alice")
        let carol = try Account.create(device: Device(now: NOW), label: "Carol")
        let aliceAtBob = try Contact.pin(deviceList: alice.deviceList())
        // Bob's phone writes to Alice; his tablet gets a copy.
        let d = try fanout(account: bob, contact: aliceAtBob,
                           sessions: [phone.initiate(bundle: tablet.bundle())], body: utf8("copy"))
        XCTAssertEqual(d.count, 2)
        XCTAssertEqual(d.filter { $0.error?.kind == .noSession }.count, 1, "no session with Alice's phone here")
        let (from, plaintext) = try read(tablet, delivery(d, to: tablet))
        // The envelope names the conversation: from Bob's account to Alice's.
        XCTAssertEqual(try envelopeAccounts(plaintext: plaintext),
                       EnvelopeAccounts(sender: try bob.accountKey(), recipient: try alice.accountKey()))
        assertThrows(.misaddressed, try receive(
            account: tabletAccount, contact: Contact.pin(deviceList: carol.deviceList()),
            senderIdentity: from, plaintext: plaintext))
        let got = try receive(account: tabletAccount, contact: Contact.pin(deviceList: alice.deviceList()),
                              senderIdentity: from, plaintext: plaintext)
        XCTAssertEqual(text(got.body), "copy")
        assertThrows(.malformed, try envelopeAccounts(plaintext: utf8("not an envelope")))
    }
}
