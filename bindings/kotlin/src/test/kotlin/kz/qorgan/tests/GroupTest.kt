package kz.qorgan.tests

import kz.qorgan.Device
import kz.qorgan.GroupPolicy
import kz.qorgan.GroupReceiver
import kz.qorgan.OutboundGroup
import kz.qorgan.QorganException
import kz.qorgan.RotationReason
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

class GroupTest {
    private val policy = GroupPolicy(maxMessages = 10_000u, maxAgeSecs = 604_800uL)

    @Test
    fun rotationAfterRemovalAndBatchCatchUp() {
        Device().use { alice ->
            Device().use { bob ->
                Device().use { carol ->
                    establish(alice, bob).use { ab ->
                        establish(alice, carol).use { ac ->
                            OutboundGroup(utf8("family"), policy, 1_000u).use { out ->
                                val fanout = out.distribute(alice, listOf(ab.initiator, ac.initiator))
                                assertEquals(2, fanout.size)
                                fanout.forEach { assertNull(it.error); assertNotNull(it.ciphertext) }
                                GroupReceiver(ab.responder.decrypt(fanout[0].ciphertext!!), ab.responder).use { bobRx ->
                                    GroupReceiver(ac.responder.decrypt(fanout[1].ciphertext!!), ac.responder).use { carolRx ->
                                        val g0 = out.encrypt(utf8("g0"))
                                        assertEquals("g0", String(bobRx.decrypt(g0)))
                                        assertEquals("g0", String(carolRx.decrypt(g0)))

                                        // Carol is removed: no message until the rotation.
                                        assertNull(out.rotationDue(1_001u))
                                        out.markMemberRemoved()
                                        assertEquals(RotationReason.MEMBER_REMOVED, out.rotationDue(1_001u))
                                        assertFailsWith<QorganException.RotationRequired> { out.encrypt(utf8("leak")) }
                                        val oldChain = out.chainId()
                                        out.rotate(1_002u)
                                        assertNotEquals(oldChain, out.chainId())
                                        assertNull(out.rotationDue(1_002u))

                                        // Only Bob gets the new chain.
                                        val fanout2 = out.distribute(alice, listOf(ab.initiator))
                                        bobRx.add(ab.responder.decrypt(fanout2.single().ciphertext!!), ab.responder)

                                        // Bob was offline: 100 messages caught up in one call.
                                        val queue = (0 until 100).map { out.encrypt(utf8("n$it")) }
                                        val results = bobRx.decryptBatch(queue)
                                        assertEquals(100, results.size)
                                        results.forEachIndexed { i, r ->
                                            assertNull(r.error, "message $i")
                                            assertEquals("n$i", String(r.plaintext!!))
                                        }
                                        // The old chain is still readable by Bob; Carol reads nothing new.
                                        assertFailsWith<QorganException.Duplicate> { bobRx.decrypt(g0) }
                                        assertFailsWith<QorganException.WrongChain> { carolRx.decrypt(queue[0]) }
                                        val carolResults = carolRx.decryptBatch(queue.take(5))
                                        carolResults.forEach { assertNull(it.plaintext); assertNotNull(it.error) }
                                        // A batch with duplicates and garbage: per-message results.
                                        val mixed = bobRx.decryptBatch(listOf(queue[0], byteArrayOf(1, 2, 3), out.encrypt(utf8("last"))))
                                        assertNotNull(mixed[0].error)
                                        assertNotNull(mixed[1].error)
                                        assertEquals("last", String(mixed[2].plaintext!!))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    fun sealAndOpenGroupState() {
        val key = storageKey(3)
        Device().use { alice ->
            Device().use { bob ->
                establish(alice, bob).use { ab ->
                    val sealedOut: ByteArray
                    val sealedRx: ByteArray
                    OutboundGroup(utf8("g"), policy, 0u).use { out ->
                        GroupReceiver(out.distribution(alice), ab.responder).use { rx ->
                            assertEquals("one", String(rx.decrypt(out.encrypt(utf8("one")))))
                            sealedRx = rx.seal(key)
                        }
                        sealedOut = out.seal(key)
                    }
                    OutboundGroup.open(key, sealedOut).use { out ->
                        GroupReceiver.open(key, sealedRx).use { rx ->
                            assertEquals("two", String(rx.decrypt(out.encrypt(utf8("two")))))
                        }
                    }
                }
            }
        }
    }

    @Test
    fun policyLimits() {
        OutboundGroup(utf8("g"), GroupPolicy(maxMessages = 3u, maxAgeSecs = 60u), 100u).use { out ->
            assertNull(out.rotationDue(100u))
            assertEquals(RotationReason.AGE, out.rotationDue(161u))
            repeat(3) { out.encrypt(utf8("m$it")) }
            assertEquals(RotationReason.MESSAGE_LIMIT, out.rotationDue(100u))
            assertFailsWith<QorganException.RotationRequired> { out.encrypt(utf8("m3")) }
            out.rotate(200u)
            out.encrypt(utf8("after rotation"))
        }
    }

    @Test
    fun concurrentEncryptsFromManyThreads() {
        Device().use { alice ->
            Device().use { bob ->
                establish(alice, bob).use { ab ->
                    OutboundGroup(utf8("threads"), policy, 0u).use { out ->
                        GroupReceiver(out.distribution(alice), ab.responder).use { rx ->
                            val pool = Executors.newFixedThreadPool(4)
                            val futures = (0 until 200).map { i -> pool.submit<ByteArray> { out.encrypt(utf8("t$i")) } }
                            val messages = futures.map { it.get() }
                            pool.shutdown()
                            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS))
                            val plain = rx.decryptBatch(messages).map { String(it.plaintext!!) }.toSet()
                            assertEquals((0 until 200).map { "t$it" }.toSet(), plain)
                            assertContentEquals(utf8("x"), rx.decrypt(out.encrypt(utf8("x"))))
                        }
                    }
                }
            }
        }
    }
}
