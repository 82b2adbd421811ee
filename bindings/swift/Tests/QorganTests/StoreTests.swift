import Foundation
import XCTest
@testable import Qorgan

/// Options for a test store.
func storeOptions(_ label: String = "d") -> StoreOptions {
    StoreOptions(durability: .normal, deviceLabel: label, now: NOW)
}

/// A fresh directory for store files.
func storeDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qorgan-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// One person's store in a file, reopened at will.
final class StorePerson {
    let path: String
    let key: StorageKey
    var store: StoreAccount

    init(_ dir: URL, _ name: String) throws {
        path = dir.appendingPathComponent("\(name).db").path
        key = try StorageKey.generate()
        store = try StoreAccount.open(path: path, key: key, options: storeOptions(name))
    }

    /// Drops the store (ARC frees it and closes the file) and opens it again.
    func reopen() throws {
        store = try StoreAccount.open(path: path, key: key, options: storeOptions())
    }

    var id: Data { get throws { try store.identity() } }
}

func introduce(_ a: StorePerson, _ b: StorePerson) throws {
    try a.store.updateContact(chain: [b.store.deviceList()])
    try b.store.updateContact(chain: [a.store.deviceList()])
    _ = try a.store.startSession(bundle: b.store.bundle())
}

/// Sends `from`'s 1:1 outbox entries for `to` and marks them sent.
func deliver(_ from: StorePerson, _ to: StorePerson) throws -> [StoreDelivery] {
    let me = try to.id
    var out: [StoreDelivery] = []
    for o in try from.store.outbox() where o.to == .device(identityKey: me) {
        out.append(try to.store.decrypt(sender: from.id, message: o.bytes, now: NOW))
        try from.store.markSent(id: o.id)
    }
    return out
}

func text(_ d: StoreDelivery?) -> String {
    if case .message(let incoming)? = d { return text(incoming.plaintext) }
    return "<not a message: \(String(describing: d))>"
}

/// The app's copy of the store counter (the Keychain in an app).
final class Keystore: StoreAnchor, @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64?
    var counter: Int64? { lock.lock(); defer { lock.unlock() }; return value }
    func load() -> Int64? { counter }
    func store(counter: Int64) { lock.lock(); value = counter; lock.unlock() }
}

/// Writes schema version 2 into a closed store file, as a newer library would.
func markNewerSchema(_ path: String) throws {
    var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    let needle = [UInt8]("schema".utf8) + [0, 0, 0, 1]
    let at = (0...(bytes.count - needle.count)).first { i in bytes[i..<(i + needle.count)].elementsEqual(needle) }!
    bytes[at + needle.count - 1] = 2
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

final class StoreTests: XCTestCase {
    func testTwoStoresExchangeThroughOutboxAndInboxAcrossAReopen() throws {
        let dir = try storeDirectory()
        let alice = try StorePerson(dir, "alice")
        let bob = try StorePerson(dir, "bob")
        try introduce(alice, bob)
        let sent = try alice.store.encrypt(device: bob.id, plaintext: utf8("salem"))
        let info = try messageInfo(message: sent.bytes)
        XCTAssertEqual(info.messageType, .preKey)
        XCTAssertEqual(info.baseKey?.count, 32)
        // A crash before the server acknowledged: the outbox still has it.
        try alice.reopen()
        XCTAssertEqual(try alice.store.outbox(), [sent])
        let got = try bob.store.decrypt(sender: alice.id, message: sent.bytes, now: NOW)
        try alice.store.markSent(id: sent.id)
        XCTAssertEqual(try alice.store.outbox(), [])
        XCTAssertEqual(text(got), "salem")
        if case .message(let incoming) = got {
            XCTAssertEqual(incoming.sender, try alice.id)
            XCTAssertEqual(incoming.sessionId?.count, 32)
            XCTAssertNil(incoming.groupId)
        }
        // Delivered twice: a duplicate. Not acknowledged: pending after a reopen.
        XCTAssertEqual(try bob.store.decrypt(sender: alice.id, message: sent.bytes, now: NOW), .duplicate)
        try bob.reopen()
        let pending = try bob.store.pending()
        XCTAssertEqual(pending.count, 1)
        XCTAssertEqual(text(pending[0].plaintext), "salem")
        try bob.store.ack(id: pending[0].id)
        XCTAssertEqual(try bob.store.pending(), [])
        let notFound = assertThrows(.notFound, try bob.store.ack(id: pending[0].id))
        XCTAssertEqual(notFound?.errorDescription, "not found: inbox entry")
        // A reply, then a catch-up of five in one call.
        _ = try bob.store.encrypt(device: alice.id, plaintext: utf8("qalaisyz"))
        XCTAssertEqual(text(try deliver(bob, alice).first), "qalaisyz")
        let queued = try (0..<5).map { i in
            QueuedMessage(sender: try bob.id, bytes: try bob.store.encrypt(device: alice.id, plaintext: Data([UInt8(i)])).bytes)
        }
        XCTAssertEqual(try messageInfo(message: queued[0].bytes).messageType, .message)
        let results = try alice.store.decryptBatch(messages: queued + [QueuedMessage(sender: bob.id, bytes: Data([1, 2]))], now: NOW)
        for i in 0..<5 {
            if case .message(let m)? = results[i].delivery { XCTAssertEqual(m.plaintext, Data([UInt8(i)])) } else { XCTFail("\(i)") }
        }
        XCTAssertNil(results[5].delivery)
        XCTAssertEqual(results[5].error?.kind, .malformed)
        XCTAssertTrue(try alice.store.decryptBatch(messages: queued, now: NOW).allSatisfy { $0.delivery == .duplicate })
        XCTAssertEqual(try alice.store.pending().count, 6)
    }

    func testWrongKeyCorruptFileAndNewerSchemaAreToldApart() throws {
        let dir = try storeDirectory()
        var p: StorePerson? = try StorePerson(dir, "p")
        let (path, key) = (p!.path, p!.key)
        p = nil                                                   // ARC closes the store
        let wrong = assertThrows(.wrongStorageKey, try StoreAccount.open(path: path, key: StorageKey.generate(), options: storeOptions()))
        XCTAssertEqual(wrong?.errorDescription, "wrong storage key for this store")
        let junk = dir.appendingPathComponent("junk.db")
        try Data("this is not a database, not at all, really".utf8).write(to: junk)
        let corrupt = assertThrows(.corruptStore, try StoreAccount.open(path: junk.path, key: key, options: storeOptions()))
        XCTAssertTrue(corrupt?.errorDescription?.hasPrefix("store is corrupt: ") ?? false)
        try markNewerSchema(path)
        let newer = assertThrows(.newerVersion, try StoreAccount.open(path: path, key: key, options: storeOptions()))
        if case .NewerVersion(let found, let supported)? = newer {
            XCTAssertEqual(found, 2)
            XCTAssertEqual(supported, 1)
        }
        XCTAssertEqual(newer?.errorDescription, "store schema version 2 is newer than this library's 1")
        XCTAssertEqual("\(newer!)", "store schema version 2 is newer than this library's 1")
        XCTAssertEqual(try StorageKey.fromBytes(bytes: key.toBytes()).toBytes().count, 32)
        assertThrows(.invalidArgument, try StorageKey.fromBytes(bytes: Data(count: 5)))
    }

    func testAnAnchorDetectsARolledBackFile() throws {
        let dir = try storeDirectory()
        let alice = try StorePerson(dir, "alice")
        var bob: StorePerson? = try StorePerson(dir, "bob")
        try introduce(alice, bob!)
        let (path, key, bobId) = (bob!.path, bob!.key, try bob!.id)
        bob = nil
        let keystore = Keystore()
        var store: StoreAccount? = try StoreAccount.openAnchored(path: path, key: key, options: storeOptions(), anchor: keystore)
        XCTAssertEqual(keystore.counter, try store!.counter())
        store = nil
        try FileManager.default.copyItem(atPath: path, toPath: path + ".bak")   // the backup
        store = try StoreAccount.openAnchored(path: path, key: key, options: storeOptions(), anchor: keystore)
        let later = try alice.store.encrypt(device: bobId, plaintext: utf8("after the backup"))
        _ = try store!.decrypt(sender: alice.id, message: later.bytes, now: NOW)
        let held = keystore.counter!
        store = nil
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: path + ".bak", toPath: path) // put back
        let e = assertThrows(.storeRolledBack, try StoreAccount.openAnchored(path: path, key: key, options: storeOptions(), anchor: keystore))
        if case .StoreRolledBack(let s, let anchor)? = e {
            XCTAssertEqual(anchor, held)
            XCTAssertLessThan(s, held)
            XCTAssertEqual(e?.errorDescription, "store was rolled back: its counter \(s) is below the anchor \(held)")
        }
        let recovered = try StoreAccount.openRolledBack(path: path, key: key, options: storeOptions(), anchor: keystore)
        let events = try recovered.events()
        XCTAssertTrue(events.contains { if case .rolledBack = $0.event { return true } else { return false } })
        for ev in events { try recovered.dismiss(id: ev.id) }
        XCTAssertEqual(try recovered.events(), [])
    }

    func testAGroupWithARemoval() throws {
        let dir = try storeDirectory()
        let group = utf8("ops")
        let alice = try StorePerson(dir, "alice")
        let bob = try StorePerson(dir, "bob")
        let carol = try StorePerson(dir, "carol")
        try introduce(alice, bob)
        try introduce(alice, carol)
        func member(_ p: StorePerson, _ role: RosterRole = .member) throws -> RosterMember {
            RosterMember(accountKey: try p.store.accountKey(), role: role)
        }
        XCTAssertEqual(try alice.store.createGroup(groupId: group, members: [member(bob), member(carol)], now: NOW).epoch(), 1)
        for p in [bob, carol] {
            _ = try alice.store.invite(groupId: group, device: p.id)
            XCTAssertEqual(try deliver(alice, p), [.event(event: .rosterChanged(groupId: group, epoch: 1))])
        }
        let sent = try alice.store.groupEncrypt(groupId: group, plaintext: utf8("orders"), now: NOW)
        XCTAssertEqual(sent.distributions.count, 2)
        XCTAssertEqual(sent.missing, [])
        for p in [bob, carol] {
            let d = try deliver(alice, p)
            if case .event(.groupKey)? = d.first {} else { XCTFail("\(d)") }
            let got = try p.store.groupDecrypt(groupId: group, sender: alice.id, message: sent.message.bytes)
            XCTAssertEqual(text(got), "orders")
        }
        // Carol removed: the next message is on a new chain only Bob gets.
        let changed = try alice.store.changeMembers(groupId: group, members: [member(bob), member(alice, .admin)])
        XCTAssertEqual(changed.roster.epoch(), 2)
        XCTAssertEqual(changed.queued.count, 1)
        _ = try deliver(alice, bob)
        XCTAssertEqual(try bob.store.roster(groupId: group)?.epoch(), 2)
        let next = try alice.store.groupEncrypt(groupId: group, plaintext: utf8("without Carol"), now: NOW)
        XCTAssertEqual(next.distributions.map(\.to), [.device(identityKey: try bob.id)])
        _ = try deliver(alice, bob)
        XCTAssertEqual(text(try bob.store.groupDecrypt(groupId: group, sender: alice.id, message: next.message.bytes)), "without Carol")
        XCTAssertThrowsError(try carol.store.groupDecrypt(groupId: group, sender: alice.id, message: next.message.bytes))
        assertThrows(.notFound, try alice.store.groupEncrypt(groupId: utf8("none"), plaintext: utf8("x"), now: NOW))
    }

    func testPrekeyUploadAndNoSession() throws {
        let dir = try storeDirectory()
        let p = try StorePerson(dir, "p")
        let info = try verifyUpload(upload: XCTUnwrap(p.store.prekeyUpload(now: NOW)))
        XCTAssertEqual(info.identityKey, try p.id)
        XCTAssertEqual(info.oneTimePrekeyIds.count, 100)
        XCTAssertFalse(try p.store.uploadDue(now: NOW))
        XCTAssertNil(try p.store.prekeyUpload(now: NOW))
        XCTAssertTrue(try p.store.uploadDue(now: NOW + 8 * DAY))
        XCTAssertNotNil(try verifyUpload(upload: XCTUnwrap(p.store.prekeyUpload(now: NOW + 8 * DAY))).signedPrekeyId)
        let q = try StorePerson(dir, "q")
        let e = assertThrows(.noSession, try p.store.encrypt(device: q.id, plaintext: utf8("x")))
        XCTAssertEqual(e?.errorDescription, "no session with this device")
    }

    func testObjectsAreFreedWhenTheLastReferenceGoes() throws {
        let dir = try storeDirectory()
        let path = dir.appendingPathComponent("c.db").path
        let key = try StorageKey.generate()
        weak var weakStore: StoreAccount?
        do {
            let store = try StoreAccount.open(path: path, key: key, options: storeOptions())
            weakStore = store
            XCTAssertEqual(try store.accountKey().count, 32)
        }
        XCTAssertNil(weakStore, "deinit ran: the Rust object is freed and the file closed")
        XCTAssertEqual(try StoreAccount.open(path: path, key: key, options: storeOptions()).accountKey().count, 32)
    }

    func testErrorsReadAsSentences() {
        let e = QorganError.UnknownPreKey(what: "one-time prekey", id: 7)
        XCTAssertEqual(e.errorDescription, "unknown or consumed one-time prekey 7")
        XCTAssertEqual(e.localizedDescription, "unknown or consumed one-time prekey 7")
        XCTAssertEqual(errorMessage(error: e), e.description)
        assertThrows(.malformed, try messageInfo(message: Data([1])))
    }
}
