import Foundation
import XCTest
@testable import Qorgan

// The Swift samples of docs/INTEGRATION.md ("The account store"), run as a
// test. Each region between `// [sample …]` and `// [/sample]` is in the
// guide verbatim (bindings/check-samples.sh compares them). The stand-ins
// are what an app has of its own: the Keychain, a server client, a
// message database.

/// Stand-in for the Keychain (an access group shared by the app and its
/// notification service extension).
final class SharedKeychain: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String: Data] = [:]
    func get(_ name: String) -> Data? { lock.lock(); defer { lock.unlock() }; return items[name] }
    func set(_ name: String, _ value: Data) { lock.lock(); items[name] = value; lock.unlock() }
}

/// The anchor kept in the Keychain: backups and device transfers do not restore it.
final class KeychainAnchor: StoreAnchor, @unchecked Sendable {
    let keychain: SharedKeychain
    init(_ keychain: SharedKeychain) { self.keychain = keychain }
    func load() -> Int64? {
        keychain.get("qorgan-counter").map { $0.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) } }
    }
    func store(counter: Int64) {
        keychain.set("qorgan-counter", withUnsafeBytes(of: counter) { Data($0) })
    }
}

/// Stand-in for the app's server: one queue per device.
final class SampleServer {
    var queues: [Data: [QueuedMessage]] = [:]
    var bundles: [Data: Data] = [:]
    func register(_ store: StoreAccount) throws { bundles[try store.identity()] = try store.bundle() }
    func send(from sender: Data, to: Destination, bytes: Data) throws {
        guard case .device(let device) = to else { return }
        queues[device, default: []].append(QueuedMessage(sender: sender, bytes: bytes))
    }
    func fetch(_ device: Data) -> [QueuedMessage] { defer { queues[device] = nil }; return queues[device] ?? [] }
    func bundle(_ device: Data) -> Data { bundles[device]! }
}

/// Stand-in for the app's message database.
final class SampleDatabase { var saved: [String] = [] ; func save(_ s: String) { saved.append(s) } }

let sampleNow = NOW

// [sample swift-open]
/// The app and its notification service extension open the same file, in
/// the App Group container, with the same key and anchor from the shared
/// Keychain access group.
func openStore(container: URL, keychain: SharedKeychain) throws -> StoreAccount {
    let key: StorageKey
    if let raw = keychain.get("qorgan-storage-key") {
        key = try StorageKey.fromBytes(bytes: raw)
    } else {
        key = try StorageKey.generate()
        keychain.set("qorgan-storage-key", key.toBytes())
    }
    let path = container.appendingPathComponent("qorgan.db").path
    let options = StoreOptions(durability: .normal, deviceLabel: "Asel's iPhone", now: sampleNow)
    do {
        return try StoreAccount.openAnchored(path: path, key: key, options: options, anchor: KeychainAnchor(keychain))
    } catch QorganError.StoreRolledBack(let store, let anchor) {
        // An older copy of the file was put back (counter `store` < `anchor`):
        // open it anyway; every session is reset and peers heal.
        _ = (store, anchor)
        return try StoreAccount.openRolledBack(path: path, key: key, options: options, anchor: KeychainAnchor(keychain))
    }
}
// [/sample]

// [sample swift-extension]
/// In the notification service extension: decrypt the pushed message (it is
/// committed to the inbox at once) and show it. The app saves and acks it
/// later from `pending()`; if the app already decrypted it, it is a duplicate.
func notificationText(container: URL, keychain: SharedKeychain, sender: Data, message: Data) -> String {
    do {
        let store = try openStore(container: container, keychain: keychain)
        switch try store.decrypt(sender: sender, message: message, now: sampleNow) {
        case .message(let incoming): return String(decoding: incoming.plaintext, as: UTF8.self)
        case .event, .duplicate: return "New message"
        }
    } catch {
        return "New message"  // never the error text: it is for logs (error.localizedDescription)
    }
}
// [/sample]

// [sample swift-loops]
func send(_ store: StoreAccount, _ server: SampleServer, to device: Data, _ text: String) throws {
    _ = try store.encrypt(device: device, plaintext: Data(text.utf8))  // committed, in the outbox
    try flushOutbox(store, server)
}

/// Also at launch: what a crash left unsent goes out again, same bytes.
func flushOutbox(_ store: StoreAccount, _ server: SampleServer) throws {
    let me = try store.identity()
    for out in try store.outbox() {
        try server.send(from: me, to: out.to, bytes: out.bytes)
        try store.markSent(id: out.id)
    }
}

func receive(_ store: StoreAccount, _ server: SampleServer, _ db: SampleDatabase) throws {
    for m in try store.pending() {  // decrypted by the extension, or before a crash
        db.save(String(decoding: m.plaintext, as: UTF8.self))
        try store.ack(id: m.id)
    }
    for r in try store.decryptBatch(messages: server.fetch(store.identity()), now: sampleNow) {
        if case .message(let incoming)? = r.delivery {
            db.save(String(decoding: incoming.plaintext, as: UTF8.self))
            try store.ack(id: incoming.id)
        }
    }
}
// [/sample]

// [sample swift-events]
func handleEvents(_ store: StoreAccount, _ server: SampleServer) throws {
    for entry in try store.events() {
        switch entry.event {
        case .sessionBroken(let device): _ = try store.heal(bundle: server.bundle(device))
        case .sessionReset: break   // show "messages may be missing"; ask to resend
        case .groupKey: break       // that sender's group messages now decrypt
        case .rosterChanged: break  // show the new members
        case .deferred: break       // kept until what it needs arrives
        case .rolledBack: break     // restored from an old copy: sessions were reset
        }
        try store.dismiss(id: entry.id)
    }
    try flushOutbox(store, server)
}
// [/sample]

final class IntegrationSamplesTests: XCTestCase {
    func testTheGuidesSamplesRun() throws {
        let server = SampleServer()
        let aliceGroup = try storeDirectory()
        let bobGroup = try storeDirectory()
        let aliceKeychain = SharedKeychain()
        let bobKeychain = SharedKeychain()
        let alice = try openStore(container: aliceGroup, keychain: aliceKeychain)
        var bob: StoreAccount? = try openStore(container: bobGroup, keychain: bobKeychain)
        try server.register(alice)
        try server.register(bob!)
        try alice.updateContact(chain: [bob!.deviceList()])
        try bob!.updateContact(chain: [alice.deviceList()])
        _ = try alice.startSession(bundle: server.bundle(bob!.identity()))
        try send(alice, server, to: bob!.identity(), "salem")
        let db = SampleDatabase()
        try receive(bob!, server, db)
        XCTAssertEqual(db.saved, ["salem"])
        // A push: the extension (another process in an app; here another
        // connection to the same file) decrypts and shows it; the app saves it.
        try send(alice, server, to: bob!.identity(), "via the extension")
        let pushed = server.fetch(try bob!.identity())[0]
        XCTAssertEqual(notificationText(container: bobGroup, keychain: bobKeychain, sender: pushed.sender, message: pushed.bytes),
                       "via the extension")
        try receive(bob!, server, db)
        XCTAssertEqual(db.saved, ["salem", "via the extension"])
        try handleEvents(bob!, server)
        bob = nil  // ARC frees the store and closes the file
        let reopened = try openStore(container: bobGroup, keychain: bobKeychain)
        XCTAssertEqual(try reopened.pending(), [])
    }
}
