package kz.qorgan.tests

import kz.qorgan.Destination
import kz.qorgan.Device
import kz.qorgan.Durability
import kz.qorgan.ErrorKind
import kz.qorgan.MessageType
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
import kz.qorgan.decrypt
import kz.qorgan.encrypt
import kz.qorgan.errorMessage
import kz.qorgan.groupDecrypt
import kz.qorgan.groupEncrypt
import kz.qorgan.messageInfo
import kz.qorgan.verifyUpload
import java.io.File
import java.nio.file.Files
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Options for a test store. */
fun storeOptions(label: String = "d") = StoreOptions(Durability.NORMAL, label, NOW)

/** A fresh directory for store files, removed when the JVM exits. */
fun storeDir(): File = Files.createTempDirectory("qorgan-store").toFile().also { it.deleteOnExit() }

/** One person's store in a file, reopened at will. */
class StorePerson(dir: File, name: String) : AutoCloseable {
    val path = File(dir, "$name.db").path
    val key = StorageKey.generate()
    var store = StoreAccount.open(path, key, storeOptions(name))
    val id: ByteArray get() = store.identity()

    fun reopen() {
        store.close()
        store = StoreAccount.open(path, key, storeOptions())
    }

    override fun close() {
        store.close()
        key.close()
    }
}

/** [a] and [b] pin each other's device lists; [a] starts a session with [b]. */
fun introduce(a: StorePerson, b: StorePerson) {
    a.store.updateContact(listOf(b.store.deviceList()))
    b.store.updateContact(listOf(a.store.deviceList()))
    a.store.startSession(b.store.bundle())
}

fun isTo(d: Destination, identityKey: ByteArray) = d is Destination.Device && d.identityKey.contentEquals(identityKey)

/** Sends [from]'s 1:1 outbox entries for [to] and marks them sent. */
fun deliver(from: StorePerson, to: StorePerson): List<StoreDelivery> =
    from.store.outbox().filter { isTo(it.to, to.id) }.map {
        val d = to.store.decrypt(from.id, it.bytes, NOW)
        from.store.markSent(it.id)
        d
    }

fun text(d: StoreDelivery?): String = String(assertIs<StoreDelivery.Message>(d).incoming.plaintext)

/** The app's copy of the store counter (the platform keystore in an app). */
class Keystore : StoreAnchor {
    @Volatile var counter: Long? = null
    override fun load(): Long? = counter
    override fun store(counter: Long) {
        this.counter = counter
    }
}

/**
 * Writes schema version 2 into a closed store file, as a newer library
 * would: the `meta` row 'schema' holds the version as 4 big-endian bytes
 * right after its name.
 */
fun markNewerSchema(path: String) {
    val bytes = File(path).readBytes()
    val needle = "schema".toByteArray() + byteArrayOf(0, 0, 0, 1)
    val at = (0..bytes.size - needle.size).first { i -> needle.indices.all { bytes[i + it] == needle[it] } }
    bytes[at + needle.size - 1] = 2
    File(path).writeBytes(bytes)
}

class StoreTest {
    @Test
    fun twoStoresExchangeThroughOutboxAndInboxAcrossAReopen() {
        val dir = storeDir()
        StorePerson(dir, "alice").use { alice ->
            StorePerson(dir, "bob").use { bob ->
                introduce(alice, bob)
                val sent = alice.store.encrypt(bob.id, utf8("salem"))
                val info = messageInfo(sent.bytes)
                assertEquals(MessageType.PRE_KEY, info.messageType)
                assertEquals(32, info.baseKey!!.size)
                // A crash before the server acknowledged: the outbox still has it.
                alice.reopen()
                assertContentEquals(sent.bytes, alice.store.outbox().single().bytes)
                val got = bob.store.decrypt(alice.id, sent.bytes, NOW)
                alice.store.markSent(sent.id)
                assertTrue(alice.store.outbox().isEmpty())
                assertEquals("salem", text(got))
                val incoming = (got as StoreDelivery.Message).incoming
                assertContentEquals(alice.id, incoming.sender)
                assertEquals(32, incoming.sessionId!!.size)
                assertNull(incoming.groupId)
                // Delivered twice: a duplicate. Not acknowledged: pending after a reopen.
                assertIs<StoreDelivery.Duplicate>(bob.store.decrypt(alice.id, sent.bytes, NOW))
                bob.reopen()
                val pending = bob.store.pending().single()
                assertEquals("salem", String(pending.plaintext))
                bob.store.ack(pending.id)
                assertTrue(bob.store.pending().isEmpty())
                val e = assertFailsWith<QorganException.NotFound> { bob.store.ack(pending.id) }
                assertEquals("not found: inbox entry", e.message)
                // A reply, then a catch-up of five in one call.
                bob.store.encrypt(alice.id, utf8("qalaisyz"))
                assertEquals("qalaisyz", text(deliver(bob, alice).single()))
                val queued = (0 until 5).map { QueuedMessage(bob.id, bob.store.encrypt(alice.id, byteArrayOf(it.toByte())).bytes) }
                assertEquals(MessageType.MESSAGE, messageInfo(queued[0].bytes).messageType)
                val results = alice.store.decryptBatch(queued + QueuedMessage(bob.id, byteArrayOf(1, 2)), NOW)
                for (i in 0 until 5) assertContentEquals(byteArrayOf(i.toByte()), (results[i].delivery as StoreDelivery.Message).incoming.plaintext)
                assertNull(results[5].delivery)
                assertEquals(ErrorKind.MALFORMED, results[5].error!!.kind)
                assertTrue(alice.store.decryptBatch(queued, NOW).all { it.delivery is StoreDelivery.Duplicate })
                assertEquals(6, alice.store.pending().size)
            }
        }
    }

    @Test
    fun wrongKeyCorruptFileAndNewerSchemaAreToldApart() {
        val dir = storeDir()
        val p = StorePerson(dir, "p")
        p.store.close()
        StorageKey.generate().use { other ->
            val e = assertFailsWith<QorganException.WrongStorageKey> { StoreAccount.open(p.path, other, storeOptions()) }
            assertEquals("wrong storage key for this store", e.message)
        }
        val junk = File(dir, "junk.db").also { it.writeText("this is not a database, not at all, really") }
        val corrupt = assertFailsWith<QorganException.CorruptStore> { StoreAccount.open(junk.path, p.key, storeOptions()) }
        assertTrue(corrupt.message.startsWith("store is corrupt: "), corrupt.message)
        markNewerSchema(p.path)
        val newer = assertFailsWith<QorganException.NewerVersion> { StoreAccount.open(p.path, p.key, storeOptions()) }
        assertEquals(2L, newer.found)
        assertEquals(1L, newer.supported)
        assertEquals("store schema version 2 is newer than this library's 1", newer.message)
        assertEquals(newer.message, errorMessage(newer))
        // The key goes to the keystore and comes back; a short one is refused.
        StorageKey.fromBytes(p.key.toBytes()).use { assertEquals(32, it.toBytes().size) }
        assertFailsWith<QorganException.InvalidArgument> { StorageKey.fromBytes(ByteArray(5)) }
        p.key.close()
    }

    @Test
    fun anAnchorDetectsARolledBackFile() {
        val dir = storeDir()
        StorePerson(dir, "alice").use { alice ->
            StorePerson(dir, "bob").use { bob ->
                introduce(alice, bob)
                bob.store.close()
                val keystore = Keystore()
                bob.store = StoreAccount.openAnchored(bob.path, bob.key, storeOptions(), keystore)
                assertEquals(bob.store.counter(), keystore.counter)
                bob.store.close()
                File(bob.path).copyTo(File(bob.path + ".bak"))          // the backup
                bob.store = StoreAccount.openAnchored(bob.path, bob.key, storeOptions(), keystore)
                bob.store.decrypt(alice.id, alice.store.encrypt(bob.id, utf8("after the backup")).bytes, NOW)
                val held = keystore.counter!!
                bob.store.close()
                File(bob.path + ".bak").copyTo(File(bob.path), overwrite = true) // put back
                val e = assertFailsWith<QorganException.StoreRolledBack> {
                    StoreAccount.openAnchored(bob.path, bob.key, storeOptions(), keystore)
                }
                assertEquals(held, e.anchor)
                assertTrue(e.store < held)
                assertEquals("store was rolled back: its counter ${e.store} is below the anchor $held", e.message)
                bob.store = StoreAccount.openRolledBack(bob.path, bob.key, storeOptions(), keystore)
                val events = bob.store.events()
                assertTrue(events.any { it.event is StoreEvent.RolledBack })
                events.forEach { bob.store.dismiss(it.id) }
                assertTrue(bob.store.events().isEmpty())
            }
        }
    }

    @Test
    fun aGroupWithARemoval() {
        val dir = storeDir()
        val group = utf8("ops")
        StorePerson(dir, "alice").use { alice ->
            StorePerson(dir, "bob").use { bob ->
                StorePerson(dir, "carol").use { carol ->
                    introduce(alice, bob)
                    introduce(alice, carol)
                    fun member(p: StorePerson, role: RosterRole = RosterRole.MEMBER) = RosterMember(p.store.accountKey(), role)
                    alice.store.createGroup(group, listOf(member(bob), member(carol)), NOW).use { assertEquals(1L, it.epoch()) }
                    for (p in listOf(bob, carol)) {
                        alice.store.invite(group, p.id)
                        val d = assertIs<StoreDelivery.Event>(deliver(alice, p).single())
                        val changed = assertIs<StoreEvent.RosterChanged>(d.event)
                        assertEquals(1L, changed.epoch)
                    }
                    val sent = alice.store.groupEncrypt(group, utf8("orders"), NOW)
                    assertEquals(2, sent.distributions.size)
                    assertTrue(sent.missing.isEmpty())
                    for (p in listOf(bob, carol)) {
                        assertIs<StoreEvent.GroupKey>(assertIs<StoreDelivery.Event>(deliver(alice, p).single()).event)
                        val got = p.store.groupDecrypt(group, alice.id, sent.message.bytes)
                        assertEquals("orders", text(got))
                        assertContentEquals(group, (got as StoreDelivery.Message).incoming.groupId)
                    }
                    // Carol removed: the next message is on a new chain only Bob gets.
                    val changed = alice.store.changeMembers(group, listOf(member(bob), member(alice, RosterRole.ADMIN)))
                    assertEquals(2L, changed.roster.epoch())
                    assertEquals(1, changed.queued.size)
                    deliver(alice, bob)
                    assertEquals(2L, bob.store.roster(group)!!.epoch())
                    val next = alice.store.groupEncrypt(group, utf8("without Carol"), NOW)
                    assertTrue(isTo(next.distributions.single().to, bob.id))
                    deliver(alice, bob)
                    assertEquals("without Carol", text(bob.store.groupDecrypt(group, alice.id, next.message.bytes)))
                    val refused = assertFailsWith<QorganException> { carol.store.groupDecrypt(group, alice.id, next.message.bytes) }
                    assertTrue(refused.message.isNotEmpty())
                    assertFailsWith<QorganException.NotFound> { alice.store.groupEncrypt(utf8("none"), utf8("x"), NOW) }
                }
            }
        }
    }

    @Test
    fun prekeyUploadAndNoSession() {
        val dir = storeDir()
        StorePerson(dir, "p").use { p ->
            val upload = p.store.prekeyUpload(NOW)!!             // a new store's first upload
            val info = verifyUpload(upload)                       // what the server checks
            assertContentEquals(p.id, info.identityKey)
            assertEquals(100, info.oneTimePrekeyIds.size)
            assertFalse(p.store.uploadDue(NOW))
            assertNull(p.store.prekeyUpload(NOW))
            assertTrue(p.store.uploadDue(NOW + 8L * DAY))
            assertNotNull(verifyUpload(p.store.prekeyUpload(NOW + 8L * DAY)!!).signedPrekeyId)
            StorePerson(dir, "q").use { q ->
                val e = assertFailsWith<QorganException.NoSession> { p.store.encrypt(q.id, utf8("x")) }
                assertEquals("no session with this device", e.message)
            }
        }
    }

    @Test
    fun objectsAreAutoCloseable() {
        val dir = storeDir()
        val key = StorageKey.generate()
        val store = StoreAccount.open(File(dir, "c.db").path, key, storeOptions())
        store.use { assertEquals(32, it.accountKey().size) }
        // Closed by use {}: a call now throws instead of reaching freed memory.
        assertFailsWith<IllegalStateException> { store.bundle() }
        store.close()                                              // idempotent
        key.use { }
        assertTrue(key.uniffiIsDestroyed)
        assertTrue(store is AutoCloseable)
        Device(NOW).use { }
    }

    @Test
    fun errorsReadAsSentences() {
        val e = QorganException.UnknownPreKey("one-time prekey", 7L)
        assertEquals("unknown or consumed one-time prekey 7", e.message)
        assertEquals(e.message, e.toString())
        assertEquals("wrong storage key for this store", QorganException.WrongStorageKey().message)
        assertFailsWith<QorganException.Malformed> { messageInfo(byteArrayOf(1)) }
    }
}
