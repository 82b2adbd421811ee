package kz.qorgan.tests

import kz.qorgan.accept
import kz.qorgan.decrypt
import kz.qorgan.encrypt
import kz.qorgan.Device
import kz.qorgan.ErrorKind
import kz.qorgan.Failure
import kz.qorgan.QorganException
import kz.qorgan.Session
import kz.qorgan.safetyNumbersMatch
import kz.qorgan.verifyBundle
import kz.qorgan.verifyIdentity
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

class ConversationTest {
    @Test
    fun fullConversationWithOutOfOrderDeliveryAndRestore() {
        val key = storageKey(1)
        Device(NOW).use { alice ->
            val sealedBobDevice: ByteArray
            val sealedBobSession: ByteArray
            val sealedAliceSession: ByteArray
            val messages: List<ByteArray>
            // What the app records with each blob: the object's id and generation.
            val bobIdentity: ByteArray
            val bobDeviceGeneration: Long
            val sessionId: ByteArray
            val bobSessionGeneration: Long
            val aliceSessionGeneration: Long
            Device(NOW).use { bob ->
                assertEquals(2L, bob.generateOneTimePrekeys(2L))
                assertEquals(1L, bob.generateKemOneTimePrekeys(1L))
                assertEquals(2L, bob.oneTimePrekeyCount())
                val bundle = bob.bundle()
                verifyBundle(bundle)
                verifyIdentity(bob.identityKey())

                alice.initiate(bundle).use { a ->
                    assertTrue(a.isPending())
                    assertContentEquals(bob.identityKey(), a.remoteIdentity())
                    messages = (0 until 6).map { a.encrypt(utf8("m$it")) }

                    // Bob accepts the first message; the one-time prekey is consumed.
                    val accepted = bob.accept(messages[0], NOW)
                    assertEquals("m0", String(accepted.plaintext))
                    assertEquals(1L, bob.oneTimePrekeyCount())
                    accepted.session.use { b ->
                        assertContentEquals(alice.identityKey(), b.remoteIdentity())
                        assertFalse(b.isPending())
                        // Later prekey messages belong to this session, not to Device.accept.
                        assertTrue(b.ownsPrekeyMessage(messages[3]))
                        // Out of order.
                        for (i in listOf(4, 2, 5)) assertEquals("m$i", String(b.decrypt(messages[i])))
                        sealedBobSession = b.seal(key)
                        bobSessionGeneration = b.generation()
                        assertEquals(1L, bobSessionGeneration)
                        assertContentEquals(a.sessionId(), b.sessionId())
                    }
                    sealedBobDevice = bob.seal(key)
                    bobDeviceGeneration = bob.generation()
                    bobIdentity = bob.identityKey()
                    sealedAliceSession = a.seal(key)
                    aliceSessionGeneration = a.generation()
                    sessionId = a.sessionId()
                    assertEquals(32, sessionId.size)
                }
            }

            // Both sides restored from sealed state with a 32-byte key.
            Device.open(key, sealedBobDevice, bobIdentity, bobDeviceGeneration).use { bob ->
                assertContentEquals(
                    bob.identityKey(),
                    Session.open(key, sealedAliceSession, sessionId, aliceSessionGeneration).use { it.remoteIdentity() },
                )
                Session.open(key, sealedBobSession, sessionId, bobSessionGeneration).use { b ->
                    Session.open(key, sealedAliceSession, sessionId, aliceSessionGeneration).use { a ->
                        assertEquals("m1", String(b.decrypt(messages[1])))
                        assertEquals("m3", String(b.decrypt(messages[3])))
                        // Delivered before the seal: refused after the restore too.
                        val dup = assertFailsWith<QorganException.Duplicate> { b.decrypt(messages[2]) }
                        assertEquals(2L, dup.index)
                        assertFailsWith<QorganException.Duplicate> { b.decrypt(messages[3]) }

                        // Bob replies; Alice's handshake is confirmed.
                        assertTrue(a.isPending())
                        assertEquals("r0", String(a.decrypt(b.encrypt(utf8("r0")))))
                        assertFalse(a.isPending())

                        // Ratchet turns with out-of-order delivery across chains.
                        val x1 = a.encrypt(utf8("x1"))
                        val x2 = a.encrypt(utf8("x2"))
                        assertEquals("y1", String(a.decrypt(b.encrypt(utf8("y1")))))
                        val z1 = a.encrypt(utf8("z1")) // new chain
                        assertEquals("z1", String(b.decrypt(z1)))
                        assertEquals("x2", String(b.decrypt(x2)))
                        assertEquals("x1", String(b.decrypt(x1)))
                        assertFailsWith<QorganException.Duplicate> { b.decrypt(x1) }
                        repeat(20) { i ->
                            assertEquals("a$i", String(b.decrypt(a.encrypt(utf8("a$i")))))
                            assertEquals("b$i", String(a.decrypt(b.encrypt(utf8("b$i")))))
                        }
                        // Empty and large payloads.
                        assertContentEquals(ByteArray(0), b.decrypt(a.encrypt(ByteArray(0))))
                        val big = ByteArray(256 * 1024) { it.toByte() }
                        assertContentEquals(big, a.decrypt(b.encrypt(big)))
                    }
                }
            }
        }
    }

    @Test
    fun decryptBatchCatchUpIsPerMessage() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    // Bob was offline: 20 messages arrive in reverse order, a
                    // forged copy of m14 (last byte flipped) just before the
                    // real one, and m19 again at the end.
                    val sent = (0 until 20).map { s.initiator.encrypt(utf8("m$it")) }
                    val queue = sent.reversed().toMutableList()
                    assertContentEquals(sent[14], queue[5])
                    queue.add(5, flipped(queue[5], -1))
                    queue.add(queue[0])
                    assertEquals(22, queue.size)

                    val results = s.responder.decryptBatch(queue)
                    assertEquals(22, results.size)
                    val expected: List<String?> =
                        (19 downTo 15).map { "m$it" } + listOf(null) + (14 downTo 0).map { "m$it" } + listOf(null)
                    assertEquals(expected, results.map { r -> r.plaintext?.let { String(it) } })
                    results.forEachIndexed { i, r ->
                        if (expected[i] != null) assertNull(r.error, "message $i: ${r.error}")
                    }
                    // The forgery failed alone and left the session able to read the real m14.
                    assertEquals(Failure(ErrorKind.AUTHENTICATION_FAILED, "message authentication failed"), results[5].error)
                    assertEquals(Failure(ErrorKind.DUPLICATE, "duplicate or expired message (index 19)"), results[21].error)

                    // The session goes on after the batch, in both directions.
                    assertEquals("after", String(s.responder.decrypt(s.initiator.encrypt(utf8("after")))))
                    assertEquals("reply", String(s.initiator.decrypt(s.responder.encrypt(utf8("reply")))))
                    assertTrue(s.responder.decryptBatch(emptyList()).isEmpty())
                    // Every message of the batch is now a duplicate.
                    assertEquals(
                        List(3) { ErrorKind.DUPLICATE },
                        s.responder.decryptBatch(listOf(sent[0], sent[14], sent[19])).map { it.error?.kind },
                    )
                }
            }
        }
    }

    @Test
    fun safetyNumbersAgreeOnBothSides() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                val ours = alice.safetyNumber(bob.identityKey(), utf8("alice@x"), utf8("bob@x"))
                val theirs = bob.safetyNumber(alice.identityKey(), utf8("bob@x"), utf8("alice@x"))
                assertEquals(ours.display, theirs.display)
                assertEquals(12, ours.display.split(' ').size)
                assertEquals(65, ours.scannable.size)
                assertTrue(safetyNumbersMatch(ours, theirs.scannable))
                assertFalse(safetyNumbersMatch(ours, flipped(theirs.scannable, 10)))
                assertFalse(safetyNumbersMatch(ours, theirs.scannable.copyOf(64)))
                Device(NOW).use { mallory ->
                    val other = bob.safetyNumber(mallory.identityKey(), utf8("bob@x"), utf8("alice@x"))
                    assertFalse(safetyNumbersMatch(ours, other.scannable))
                }
            }
        }
    }

    @Test
    fun uploadedBundlesServeConcurrentInitiators() {
        Device(NOW).use { bob ->
            assertEquals(1, bob.bundles(10L).size)
            assertEquals(3L, bob.generateOneTimePrekeys(3L))
            assertEquals(1L, bob.generateKemOneTimePrekeys(1L))
            val bundles = bob.bundles(100L)
            assertEquals(3, bundles.size)
            // Each one-time key went out once: the next bundle carries none of them.
            val next = bob.bundle()
            assertTrue(bundles.none { it.contentEquals(next) })
            bundles.forEach { verifyBundle(it) }
            // Three initiators fetch while Bob is offline; he accepts all three later.
            val firsts = bundles.mapIndexed { i, b -> Device(NOW).use { a -> a.initiate(b).use { it.encrypt(utf8("from $i")) } } }
            firsts.indices.reversed().forEach { i ->
                val accepted = bob.accept(firsts[i], NOW)
                accepted.session.use { assertEquals("from $i", String(accepted.plaintext)) }
            }
            assertEquals(0L, bob.oneTimePrekeyCount())
            assertEquals(0L, bob.kemOneTimePrekeyCount())
            assertFailsWith<QorganException.UnknownPreKey> { bob.accept(firsts[1], NOW) }
        }
    }

    @Test
    fun rotatedSignedPrekeyStillAcceptsOldBundle() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                val oldBundle = bob.bundle()
                // A fresh store is neither old nor near its replay-record limit.
                assertFalse(bob.needsRotation(NOW))
                bob.rotateSignedPrekey(NOW + DAY)
                bob.rotateLastResortKemPrekey(NOW + DAY)
                assertFalse(oldBundle.contentEquals(bob.bundle()))
                alice.initiate(oldBundle).use { a ->
                    val accepted = bob.accept(a.encrypt(utf8("via old prekey")), NOW + DAY)
                    accepted.session.use { assertEquals("via old prekey", String(accepted.plaintext)) }
                }
            }
        }
    }
}
