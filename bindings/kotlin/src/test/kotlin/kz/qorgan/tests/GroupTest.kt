package kz.qorgan.tests

import kz.qorgan.decrypt
import kz.qorgan.encrypt
import kz.qorgan.Device
import kz.qorgan.ErrorKind
import kz.qorgan.GroupPolicy
import kz.qorgan.GroupReceiver
import kz.qorgan.QorganException
import kz.qorgan.RotationReason
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue

class GroupTest {
    private val policy = GroupPolicy(maxMessages = 10_000L, maxAgeSecs = 604_800L)

    @Test
    fun rotationAfterRemovalAndBatchCatchUp() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                Device(NOW).use { carol ->
                    establish(alice, bob).use { ab ->
                        establish(alice, carol).use { ac ->
                            alice.createGroup(utf8("family"), policy, 1_000L).use { out ->
                                assertContentEquals(utf8("family"), out.groupId())
                                assertEquals(0L, out.iteration())
                                val fanout = out.distribute(listOf(ab.initiator, ac.initiator))
                                assertEquals(2, fanout.size)
                                fanout.forEach { assertNull(it.error) }
                                // Each member receives the same distribution over its own session.
                                val bobDist = ab.responder.decrypt(fanout[0].ciphertext!!)
                                val carolDist = ac.responder.decrypt(fanout[1].ciphertext!!)
                                assertContentEquals(out.distribution(), bobDist)
                                assertContentEquals(out.distribution(), carolDist)
                                GroupReceiver(bobDist, ab.responder.remoteIdentity()).use { bobRx ->
                                    GroupReceiver(carolDist, ac.responder.remoteIdentity()).use { carolRx ->
                                        assertContentEquals(alice.identityKey(), bobRx.senderIdentity())
                                        assertContentEquals(alice.identityKey(), carolRx.senderIdentity())
                                        assertEquals(0L, out.rotation())
                                        val firstChain = out.chainId()
                                        val g0 = out.encrypt(utf8("g0"))
                                        assertEquals(1L, out.iteration())
                                        for (rx in listOf(bobRx, carolRx)) {
                                            // The provenance, all of it covered by the chain's signature.
                                            val got = rx.decrypt(g0)
                                            assertEquals("g0", String(got.plaintext))
                                            assertContentEquals(alice.identityKey(), got.sender)
                                            assertContentEquals(utf8("family"), got.groupId)
                                            assertEquals(firstChain, got.chainId)
                                            assertEquals(0L, got.rotation)
                                            assertEquals(0L, got.iteration)
                                        }

                                        // Carol is removed: no message until the rotation.
                                        assertNull(out.rotationDue(1_001L))
                                        out.markMemberRemoved()
                                        assertEquals(RotationReason.MEMBER_REMOVED, out.rotationDue(1_001L))
                                        assertFailsWith<QorganException.RotationRequired> { out.encrypt(utf8("leak")) }
                                        val oldChain = out.chainId()
                                        out.rotate(1_002L)
                                        assertNotEquals(oldChain, out.chainId())
                                        assertEquals(0L, out.iteration())
                                        assertEquals(1L, out.rotation())
                                        assertNull(out.rotationDue(1_002L))

                                        // Only Bob gets the new chain.
                                        val fanout2 = out.distribute(listOf(ab.initiator))
                                        bobRx.add(ab.responder.decrypt(fanout2.single().ciphertext!!), ab.responder.remoteIdentity())

                                        // Bob was offline: 100 messages caught up in one call.
                                        val queue = (0 until 100).map { out.encrypt(utf8("n$it")) }
                                        val results = bobRx.decryptBatch(queue)
                                        assertEquals(100, results.size)
                                        results.forEachIndexed { i, r ->
                                            assertNull(r.error, "message $i")
                                            val got = r.decrypted!!
                                            assertEquals("n$i", String(got.plaintext))
                                            assertContentEquals(alice.identityKey(), got.sender)
                                            assertContentEquals(utf8("family"), got.groupId)
                                            assertEquals(out.chainId(), got.chainId)
                                            assertEquals(1L, got.rotation)
                                            assertEquals(i.toLong(), got.iteration)
                                        }
                                        // The old chain is still readable by Bob; Carol reads nothing new.
                                        assertFailsWith<QorganException.Duplicate> { bobRx.decrypt(g0) }
                                        assertFailsWith<QorganException.WrongChain> { carolRx.decrypt(queue[0]) }
                                        val carolResults = carolRx.decryptBatch(queue.take(5))
                                        assertEquals(List(5) { null }, carolResults.map { it.decrypted })
                                        assertEquals(List(5) { ErrorKind.WRONG_CHAIN }, carolResults.map { it.error?.kind })
                                        // A batch with a duplicate, garbage and a forged signature: per-message results.
                                        val forged = flipped(out.encrypt(utf8("forged")), -1)
                                        val mixed = bobRx.decryptBatch(listOf(queue[0], byteArrayOf(1, 2, 3), forged, out.encrypt(utf8("last"))))
                                        assertEquals(
                                            listOf(ErrorKind.DUPLICATE, ErrorKind.MALFORMED, ErrorKind.BAD_SIGNATURE, null),
                                            mixed.map { it.error?.kind },
                                        )
                                        assertEquals("duplicate or expired message (index 0)", mixed[0].error!!.message)
                                        assertEquals(listOf(null, null, null, "last"), mixed.map { r -> r.decrypted?.let { String(it.plaintext) } })
                                        assertEquals(101L, mixed[3].decrypted!!.iteration)
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
    fun receiverMovesToAnotherDeviceByExport() {
        Device(NOW).use { alice ->
            alice.createGroup(utf8("g"), policy, 0L).use { out ->
                val dist = out.distribution()
                GroupReceiver(dist, alice.identityKey()).use { rx ->
                    val first = out.encrypt(utf8("one"))
                    assertEquals("one", String(rx.decrypt(first).plaintext))
                    // The user's second device gets the export over their own 1:1 session;
                    // the sender's announcement inside it is verified on import.
                    GroupReceiver.fromExport(rx.export()).use { moved ->
                        assertContentEquals(alice.identityKey(), moved.senderIdentity())
                        assertFailsWith<QorganException.BeforeFirstIteration> { moved.decrypt(first) }
                        val two = out.encrypt(utf8("two"))
                        val got = moved.decrypt(two)
                        assertEquals("two", String(got.plaintext))
                        assertContentEquals(alice.identityKey(), got.sender)
                        assertEquals(1L, got.iteration)
                        // The sender's own distribution (from iteration 0) merges with the export:
                        // iteration 0 becomes readable, iteration 1 stays consumed.
                        moved.add(dist, alice.identityKey())
                        assertEquals(0L, moved.decrypt(first).iteration)
                        assertFailsWith<QorganException.Duplicate> { moved.decrypt(two) }
                    }
                }
            }
        }
        assertFailsWith<QorganException.Malformed> { GroupReceiver.fromExport(utf8("not an export")) }
    }

    @Test
    fun sealAndOpenGroupState() {
        val key = storageKey(3)
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { ab ->
                    val sealedOut: ByteArray
                    val sealedRx: ByteArray
                    val outGeneration: Long
                    val rxGeneration: Long
                    val chain: Long
                    alice.createGroup(utf8("g"), policy, 0L).use { out ->
                        GroupReceiver(out.distribution(), ab.responder.remoteIdentity()).use { rx ->
                            assertEquals("one", String(rx.decrypt(out.encrypt(utf8("one"))).plaintext))
                            sealedRx = rx.seal(key)
                            rxGeneration = rx.generation()
                            assertContentEquals(utf8("g"), rx.groupId())
                        }
                        chain = out.chainId()
                        sealedOut = out.seal(key)
                        outGeneration = out.generation()
                    }
                    alice.openGroup(key, sealedOut, utf8("g"), outGeneration).use { out ->
                        // The restored chain continues where it was and signs with Alice's identity.
                        assertEquals(chain, out.chainId())
                        assertEquals(1L, out.iteration())
                        assertContentEquals(utf8("g"), out.groupId())
                        GroupReceiver.open(key, sealedRx, utf8("g"), alice.identityKey(), rxGeneration).use { rx ->
                            assertContentEquals(alice.identityKey(), rx.senderIdentity())
                            val got = rx.decrypt(out.encrypt(utf8("two")))
                            assertEquals("two", String(got.plaintext))
                            assertEquals(chain, got.chainId)
                            assertEquals(1L, got.iteration)
                        }
                        // Its distribution verifies against Alice's identity, not another's.
                        GroupReceiver(out.distribution(), alice.identityKey()).use { rx2 ->
                            assertEquals("three", String(rx2.decrypt(out.encrypt(utf8("three"))).plaintext))
                        }
                        Device(NOW).use { mallory ->
                            assertFailsWith<QorganException.UntrustedIdentity> {
                                GroupReceiver(out.distribution(), mallory.identityKey())
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    fun policyLimits() {
        Device(NOW).use { alice ->
            alice.createGroup(utf8("g"), GroupPolicy(maxMessages = 3L, maxAgeSecs = 60L), 100L).use { out ->
                assertNull(out.rotationDue(100L))
                assertEquals(RotationReason.AGE, out.rotationDue(161L))
                repeat(3) { out.encrypt(utf8("m$it")) }
                assertEquals(3L, out.iteration())
                assertEquals(RotationReason.MESSAGE_LIMIT, out.rotationDue(100L))
                assertFailsWith<QorganException.RotationRequired> { out.encrypt(utf8("m3")) }
                out.rotate(200L)
                assertEquals(0L, out.iteration())
                assertEquals(1L, out.rotation())
                out.encrypt(utf8("after rotation"))
                assertEquals(1L, out.iteration())
            }
        }
    }

    @Test
    fun concurrentEncryptsFromManyThreads() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { ab ->
                    alice.createGroup(utf8("threads"), policy, 0L).use { out ->
                        GroupReceiver(out.distribution(), ab.responder.remoteIdentity()).use { rx ->
                            val pool = Executors.newFixedThreadPool(4)
                            val futures = (0 until 200).map { i -> pool.submit<ByteArray> { out.encrypt(utf8("t$i")) } }
                            val messages = futures.map { it.get() }
                            pool.shutdown()
                            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS))
                            val plain = rx.decryptBatch(messages).map { String(it.decrypted!!.plaintext) }.toSet()
                            assertEquals((0 until 200).map { "t$it" }.toSet(), plain)
                            assertEquals(200L, out.iteration())
                            assertContentEquals(utf8("x"), rx.decrypt(out.encrypt(utf8("x"))).plaintext)
                        }
                    }
                }
            }
        }
    }
}
