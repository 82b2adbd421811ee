package kz.qorgan.tests

import kz.qorgan.Destination
import kz.qorgan.Durability
import kz.qorgan.QorganException
import kz.qorgan.QueuedMessage
import kz.qorgan.RosterMember
import kz.qorgan.RosterRole
import kz.qorgan.StorageKey
import kz.qorgan.StoreAccount
import kz.qorgan.StoreAnchor
import kz.qorgan.StoreDelivery
import kz.qorgan.StoreEvent
import kz.qorgan.StoreOptions
import kz.qorgan.encrypt
import kz.qorgan.groupDecrypt
import kz.qorgan.groupEncrypt
import kz.qorgan.verifyDeviceList
import kz.qorgan.verifyUpload
import java.io.File
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertTrue

/*
 * The Kotlin samples of docs/INTEGRATION.md ("The account store"), run as
 * a test. Each region between `// [sample …]` and `// [/sample]` is in
 * the guide verbatim (bindings/check-samples.sh compares them). The
 * stand-ins below are what an app has of its own: a keystore, a server
 * client, a message database.
 */

/** Stand-in for the Android Keystore (a key wrapped by a Keystore key, in app storage). */
class AppKeystore {
    private val items = HashMap<String, ByteArray>()
    fun get(name: String): ByteArray? = items[name]
    fun put(name: String, value: ByteArray) { items[name] = value }
}

/** The anchor kept in the keystore: backups do not restore it. */
class KeystoreAnchor(private val keystore: AppKeystore) : StoreAnchor {
    override fun load(): Long? = keystore.get("qorgan-counter")?.let { java.nio.ByteBuffer.wrap(it).long.toLong() }
    override fun store(counter: Long) =
        keystore.put("qorgan-counter", java.nio.ByteBuffer.allocate(8).putLong(counter.toLong()).array())
}

/** Stand-in for the app's server: queues per device, bundles, device lists. */
class FakeServer {
    val queues = HashMap<String, MutableList<QueuedMessage>>()
    val bundles = HashMap<String, ByteArray>()
    val lists = HashMap<String, ByteArray>()
    val groups = HashMap<String, List<ByteArray>>()
    val groupQueues = HashMap<String, MutableList<Pair<ByteArray, QueuedMessage>>>()
    private fun k(b: ByteArray) = b.joinToString("") { "%02x".format(it) }

    fun register(store: StoreAccount) {
        bundles[k(store.identity())] = store.bundle()
        lists[k(store.accountKey())] = store.deviceList()
    }
    fun bundle(device: ByteArray): ByteArray = bundles.getValue(k(device))
    fun deviceList(accountKey: ByteArray): ByteArray = lists.getValue(k(accountKey))
    var uploads = 0
    fun uploadPrekeys(upload: ByteArray) { verifyUpload(upload); uploads += 1 }
    fun joinGroup(group: ByteArray, devices: List<ByteArray>) { groups[k(group)] = devices }

    /** Accepts a message from [sender]; returns when it is stored (the acknowledgement). */
    fun send(sender: ByteArray, to: Destination, bytes: ByteArray) {
        when (to) {
            is Destination.Device -> queues.getOrPut(k(to.identityKey)) { mutableListOf() } += QueuedMessage(sender, bytes)
            is Destination.Group -> for (t in groups.getValue(k(to.groupId)).filter { !it.contentEquals(sender) }) {
                groupQueues.getOrPut(k(t)) { mutableListOf() } += Pair(to.groupId, QueuedMessage(sender, bytes))
            }
        }
    }
    fun fetch(device: ByteArray): List<QueuedMessage> = queues.remove(k(device)) ?: emptyList()
    fun fetchGroup(device: ByteArray): List<Pair<ByteArray, QueuedMessage>> = groupQueues.remove(k(device)) ?: emptyList()
}

/** Stand-in for the app's message database. */
class MessageDb {
    val saved = mutableListOf<String>()
    fun save(text: String) { saved += text }
}

class IntegrationSamplesTest {
    private val dir = storeDir()
    private val now: Long = NOW

    // [sample kotlin-open]
    fun openStore(context: File, keystore: AppKeystore): StoreAccount {
        val key = keystore.get("qorgan-storage-key")?.let { StorageKey.fromBytes(it) }
            ?: StorageKey.generate().also { keystore.put("qorgan-storage-key", it.toBytes()) }
        val path = File(context, "qorgan.db").path
        val options = StoreOptions(Durability.NORMAL, deviceLabel = "Asel's phone", now = now)
        return key.use {
            try {
                StoreAccount.openAnchored(path, it, options, KeystoreAnchor(keystore))
            } catch (e: QorganException.StoreRolledBack) {
                // An older copy of the file was put back (e.message says both counters):
                // open it anyway; every session is reset and peers heal.
                StoreAccount.openRolledBack(path, it, options, KeystoreAnchor(keystore))
            }
        }
    }
    // [/sample]

    // [sample kotlin-send]
    fun send(store: StoreAccount, server: FakeServer, to: ByteArray, text: String) {
        store.encrypt(to, text.toByteArray())   // committed, in the outbox
        flushOutbox(store, server)
    }

    /** Also at start-up: what a crash left unsent goes out again, same bytes. */
    fun flushOutbox(store: StoreAccount, server: FakeServer) {
        val me = store.identity()
        for (out in store.outbox()) {
            server.send(me, out.to, out.bytes)   // throws if the server did not take it
            store.markSent(out.id)
        }
    }
    // [/sample]

    // [sample kotlin-receive]
    fun receive(store: StoreAccount, server: FakeServer, db: MessageDb) {
        val queued = server.fetch(store.identity())
        val results = store.decryptBatch(queued, now)   // one transaction for all
        for (r in results) {
            when (val d = r.delivery) {
                is StoreDelivery.Message -> {
                    db.save(String(d.incoming.plaintext))  // the app's own database
                    store.ack(d.incoming.id)
                }
                is StoreDelivery.Event -> handleEvents(store, server)
                StoreDelivery.Duplicate, null -> {}         // r.error: log r.error.message
            }
        }
    }

    /** At start-up: what was decrypted but not saved before a crash. */
    fun savePending(store: StoreAccount, db: MessageDb) {
        for (m in store.pending()) {
            db.save(String(m.plaintext))
            store.ack(m.id)
        }
    }
    // [/sample]

    // [sample kotlin-prekeys]
    /** At start-up and after receiving: a new store's first call returns its first upload. */
    fun keepPrekeysSupplied(store: StoreAccount, server: FakeServer) {
        store.prekeyUpload(now)?.let { server.uploadPrekeys(it) }  // null: the server lacks nothing
    }

    /** A cheap check for a background job between those calls. */
    fun prekeysDue(store: StoreAccount): Boolean = store.uploadDue(now)
    // [/sample]

    // [sample kotlin-fanout]
    fun sendToAccount(store: StoreAccount, server: FakeServer, accountKey: ByteArray, text: String) {
        val list = server.deviceList(accountKey)
        store.updateContact(listOf(list))            // refuses a list the account did not sign
        for (device in verifyDeviceList(list).devices) {
            if (store.activeSession(device.identityKey) == null) {
                store.startSession(server.bundle(device.identityKey))
            }
            store.encrypt(device.identityKey, text.toByteArray())
        }
        flushOutbox(store, server)
    }
    // [/sample]

    // [sample kotlin-group]
    fun createGroup(store: StoreAccount, server: FakeServer, group: ByteArray, members: List<ByteArray>, devices: List<ByteArray>) {
        val roster = store.createGroup(group, members.map { RosterMember(it, RosterRole.MEMBER) }, now)
        roster.close()                               // publish roster.toBytes() first if the server keeps rosters
        for (device in devices) store.invite(group, device)   // each over its 1:1 session
        flushOutbox(store, server)
    }

    fun sendToGroup(store: StoreAccount, server: FakeServer, group: ByteArray, text: String) {
        val sent = store.groupEncrypt(group, text.toByteArray(), now)  // rotates and distributes as needed
        // sent.missing: member devices without a session: startSession, then send again.
        flushOutbox(store, server)                   // chain keys first, then the message
    }

    fun receiveGroup(store: StoreAccount, server: FakeServer, db: MessageDb) {
        for ((group, m) in server.fetchGroup(store.identity())) {
            val d = store.groupDecrypt(group, m.sender, m.bytes)  // the plaintext is in the inbox
            if (d is StoreDelivery.Message) {
                db.save(String(d.incoming.plaintext))
                store.ack(d.incoming.id)
            }
        }
    }

    fun removeMember(store: StoreAccount, server: FakeServer, group: ByteArray, remaining: List<RosterMember>) {
        store.changeMembers(group, remaining).roster.close()  // the next message is on a new chain
        flushOutbox(store, server)
    }
    // [/sample]

    // [sample kotlin-events]
    fun handleEvents(store: StoreAccount, server: FakeServer) {
        for (entry in store.events()) {
            when (val e = entry.event) {
                is StoreEvent.SessionBroken -> store.heal(server.bundle(e.device))  // queues a reset message
                is StoreEvent.SessionReset -> {}     // show "messages may be missing"; ask to resend
                is StoreEvent.GroupKey -> {}         // that sender's group messages now decrypt
                is StoreEvent.RosterChanged -> {}    // show the new members (store.roster(e.groupId))
                is StoreEvent.Deferred -> {}         // kept until what it needs arrives
                is StoreEvent.RolledBack -> {}       // restored from an old copy: sessions were reset
            }
            store.dismiss(entry.id)
        }
        flushOutbox(store, server)
    }
    // [/sample]

    @Test
    fun theGuidesSamplesRun() {
        val server = FakeServer()
        val aliceKeys = AppKeystore()
        val bobKeys = AppKeystore()
        val aliceDir = File(dir, "alice").also { it.mkdirs() }
        val bobDir = File(dir, "bob").also { it.mkdirs() }
        val alice = openStore(aliceDir, aliceKeys)
        val bob = openStore(bobDir, bobKeys)
        val bobDb = MessageDb()
        val aliceDb = MessageDb()
        for (s in listOf(alice, bob)) {
            keepPrekeysSupplied(s, server)
            server.register(s)
            assertTrue(!prekeysDue(s))
        }
        assertEquals(2, server.uploads)
        bob.updateContact(listOf(server.deviceList(alice.accountKey())))
        sendToAccount(alice, server, bob.accountKey(), "salem")
        receive(bob, server, bobDb)
        assertEquals(listOf("salem"), bobDb.saved)
        send(bob, server, alice.identity(), "qalaisyz")
        receive(alice, server, aliceDb)
        assertEquals(listOf("qalaisyz"), aliceDb.saved)
        // A crash after decrypting, before saving: pending after reopening.
        send(alice, server, bob.identity(), "after a crash")
        bob.decryptBatch(server.fetch(bob.identity()), now)
        bob.close()
        val bob2 = openStore(bobDir, bobKeys)
        savePending(bob2, bobDb)
        assertEquals("after a crash", bobDb.saved.last())
        // A group of two, then a removal.
        val group = utf8("team")
        server.joinGroup(group, listOf(alice.identity(), bob2.identity()))
        createGroup(alice, server, group, listOf(bob2.accountKey()), listOf(bob2.identity()))
        receive(bob2, server, bobDb)
        sendToGroup(alice, server, group, "to the team")
        receive(bob2, server, bobDb)                 // the chain key, over the session
        receiveGroup(bob2, server, bobDb)
        assertEquals("to the team", bobDb.saved.last())
        handleEvents(bob2, server)
        assertTrue(bob2.events().isEmpty())
        removeMember(alice, server, group, listOf(RosterMember(alice.accountKey(), RosterRole.ADMIN)))
        assertEquals(2L, alice.roster(group)!!.epoch())
        // Reopened with the keystore's key and anchor: the same identity.
        val id = alice.identity()
        alice.close()
        openStore(aliceDir, aliceKeys).use { assertContentEquals(id, it.identity()) }
        bob2.close()
    }
}
