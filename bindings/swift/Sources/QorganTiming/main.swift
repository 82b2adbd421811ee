// Timings through the Swift bindings, printed by test.sh for
// bindings/README.md (not a test: figures depend on the machine's load).
// Each figure is the median of 7 rounds after a warm-up.
import Dispatch
import Foundation
import Qorgan

/// The caller's clock (Unix seconds): the library reads none.
let now: Int64 = 1_700_000_000

func nowNs() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// Median per-iteration time of `block` in microseconds.
func perCall(_ iterations: Int, _ block: () throws -> Void) rethrows -> Double {
    for _ in 0..<iterations { try block() }
    var samples: [Double] = []
    for _ in 0..<7 {
        let t0 = nowNs()
        for _ in 0..<iterations { try block() }
        samples.append(Double(nowNs() - t0) / 1_000 / Double(iterations))
    }
    return median(samples)
}

func run() throws {
    let alice = try Device(now: now)
    let bob = try Device(now: now)
    let a = try alice.initiate(bundle: bob.bundle())
    let b = try bob.accept(message: a.encrypt(plaintext: Data("hello".utf8)), now: now).session
    _ = try a.decrypt(message: b.encrypt(plaintext: Data("hi".utf8)))

    let trivial = try perCall(20_000) { _ = try a.isPending() }
    let p64 = Data((0..<64).map { UInt8($0) })
    let p1k = Data((0..<1024).map { UInt8($0 & 0xff) })
    let rt64 = try perCall(2_000) { _ = try b.decrypt(message: a.encrypt(plaintext: p64)) }
    let rt1k = try perCall(2_000) { _ = try b.decrypt(message: a.encrypt(plaintext: p1k)) }

    // 1:1 catch-up: 500 queued messages, each round on a restored copy.
    let sessionKey = Data(repeating: 8, count: 32)
    let sealedB = try b.seal(storageKey: sessionKey)
    let (sessionId, generation) = (try b.sessionId(), try b.generation())
    let queue1to1 = try (0..<500).map { _ in try a.encrypt(plaintext: p64) }
    var catchUp: [Double] = []
    for round in 0..<6 {
        let s = try Session.open(storageKey: sessionKey, sealed: sealedB, sessionId: sessionId, minGeneration: generation)
        let t0 = nowNs()
        let results = try s.decryptBatch(messages: queue1to1)
        if round > 0 { catchUp.append(Double(nowNs() - t0) / 1e6) }
        precondition(results.allSatisfy { $0.plaintext != nil })
    }

    let group = try alice.createGroup(groupId: Data("timing".utf8), policy: GroupPolicy(maxMessages: 1_000_000, maxAgeSecs: 86_400), now: now)
    let key = Data(repeating: 9, count: 32)
    let receiver = try GroupReceiver(distribution: group.distribution(), senderIdentity: alice.identityKey())
    let sealedRx = try receiver.seal(storageKey: key)
    let open = {
        try GroupReceiver.open(storageKey: key, sealed: sealedRx, groupId: Data("timing".utf8),
                               senderIdentity: alice.identityKey(), minGeneration: receiver.generation())
    }
    let queue = try (0..<500).map { _ in try group.encrypt(plaintext: p64) }
    var batch: [Double] = []
    var single: [Double] = []
    for round in 0..<6 {
        let rx1 = try open()
        var t0 = nowNs()
        let results = try rx1.decryptBatch(messages: queue)
        var ms = Double(nowNs() - t0) / 1e6
        precondition(results.allSatisfy { $0.decrypted != nil })
        if round > 0 { batch.append(ms) }
        let rx2 = try open()
        t0 = nowNs()
        for m in queue { _ = try rx2.decrypt(message: m) }
        ms = Double(nowNs() - t0) / 1e6
        if round > 0 { single.append(ms) }
    }
    print(String(format: "timing: trivial call (Session.isPending)        %8.2f µs", trivial))
    print(String(format: "timing: encrypt+decrypt 64 B (1:1)             %8.2f µs", rt64))
    print(String(format: "timing: encrypt+decrypt 1 KiB (1:1)            %8.2f µs", rt1k))
    print(String(format: "timing: group catch-up, 500 msgs, decryptBatch %8.2f ms", median(batch)))
    print(String(format: "timing: group catch-up, 500 msgs, decrypt x500 %8.2f ms", median(single)))
    print(String(format: "timing: 1:1 catch-up, 500 msgs, decryptBatch   %8.2f ms", median(catchUp)))
    try storeTimings()
}

/// The store (files in a temporary directory, WAL, synchronous NORMAL): µs
/// per `StoreAccount.decrypt` of a 64-byte message, committed, and ms per
/// `decryptBatch` of 500 queued messages; medians over rounds, each on
/// messages encrypted for it.
func storeTimings() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qorgan-timing-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let options = StoreOptions(durability: .normal, deviceLabel: "", now: 1_700_000_000)
    let key = try StorageKey.generate()
    let alice = try StoreAccount.open(path: dir.appendingPathComponent("alice.db").path, key: key, options: options)
    let bob = try StoreAccount.open(path: dir.appendingPathComponent("bob.db").path, key: key, options: options)
    let (aId, bId) = (try alice.identity(), try bob.identity())
    try alice.updateContact(chain: [bob.deviceList()])
    try bob.updateContact(chain: [alice.deviceList()])
    _ = try bob.startSession(bundle: alice.bundle())
    _ = try alice.decrypt(sender: bId, message: bob.encrypt(device: aId, plaintext: Data(count: 64)).bytes, now: 1_700_000_000)
    _ = try bob.decrypt(sender: aId, message: alice.encrypt(device: bId, plaintext: Data(count: 64)).bytes, now: 1_700_000_000)
    let p64 = Data((0..<64).map { UInt8($0) })
    func queue(_ n: Int) throws -> [QueuedMessage] {
        try (0..<n).map { _ in QueuedMessage(sender: bId, bytes: try bob.encrypt(device: aId, plaintext: p64).bytes) }
    }
    var single: [Double] = []
    for round in 0..<5 {
        let q = try queue(200)
        let t0 = nowNs()
        for m in q { _ = try alice.decrypt(sender: m.sender, message: m.bytes, now: 1_700_000_000) }
        if round > 0 { single.append(Double(nowNs() - t0) / 1e3 / Double(q.count)) }
    }
    var batch: [Double] = []
    for round in 0..<4 {
        let q = try queue(500)
        let t0 = nowNs()
        let results = try alice.decryptBatch(messages: q, now: 1_700_000_000)
        if round > 0 { batch.append(Double(nowNs() - t0) / 1e6) }
        precondition(results.allSatisfy { $0.delivery != nil })
    }
    print(String(format: "timing: store decrypt 64 B + commit           %8.2f µs", median(single)))
    print(String(format: "timing: store catch-up, 500 msgs, decryptBatch %8.2f ms", median(batch)))
}

do {
    try run()
} catch {
    print("timing failed: \(error)")
    exit(1)
}
