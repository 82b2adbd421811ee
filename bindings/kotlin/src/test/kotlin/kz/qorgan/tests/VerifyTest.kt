package kz.qorgan.tests

import kz.qorgan.decrypt
import kz.qorgan.encrypt
import kz.qorgan.Device
import kz.qorgan.ErrorKind
import kz.qorgan.GroupPolicy
import kz.qorgan.GroupReceiver
import kz.qorgan.QorganException
import kz.qorgan.UploadInfo
import kz.qorgan.VerifyItem
import kz.qorgan.verifyAnnouncement
import kz.qorgan.verifyBatch
import kz.qorgan.verifyBundle
import kz.qorgan.verifyGroupMessage
import kz.qorgan.verifyIdentity
import kz.qorgan.verifyUpload
import java.nio.ByteBuffer
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertFailsWith
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** A direct buffer holding a copy of [bytes] (position 0). */
private fun direct(bytes: ByteArray): ByteBuffer = ByteBuffer.allocateDirect(bytes.size).put(bytes).flip()

/** Stateless verification, as a server would use it. */
class VerifyTest {
    private val policy = GroupPolicy(100L, 100L)

    @Test
    fun singleItemsAsByteArrays() {
        Device(NOW).use { alice ->
            alice.createGroup(utf8("g"), policy, 0L).use { out ->
                val identity = alice.identityKey()
                val bundle = alice.bundle()
                val announcement = out.announcement()
                val message = out.encrypt(utf8("hello"))
                verifyIdentity(identity)
                verifyBundle(bundle)
                verifyAnnouncement(announcement)
                verifyGroupMessage(announcement, message)

                assertFailsWith<QorganException.BadSignature> { verifyIdentity(flipped(identity, -1)) }
                assertFailsWith<QorganException.BadSignature> { verifyBundle(flipped(bundle, 2 + 128 + 4 + 5)) }
                assertFailsWith<QorganException.BadSignature> { verifyAnnouncement(flipped(announcement, -1)) }
                // The announcement's signature is checked too, then the message's.
                assertFailsWith<QorganException.BadSignature> { verifyGroupMessage(flipped(announcement, -1), message) }
                val e = assertFailsWith<QorganException.BadSignature> { verifyGroupMessage(announcement, flipped(message, -1)) }
                assertTrue(e.what.isNotEmpty())
                // The secret distribution is not an announcement.
                assertFailsWith<QorganException.Malformed> { verifyAnnouncement(out.distribution()) }
                assertFailsWith<QorganException.Malformed> { verifyIdentity(bundle) }
                assertFailsWith<QorganException.Malformed> { verifyIdentity(ByteArray(0)) }

                // After a rotation the old announcement no longer covers new messages.
                out.rotate(1L)
                val next = out.encrypt(utf8("next chain"))
                assertFailsWith<QorganException.Malformed> { verifyGroupMessage(announcement, next) }
                verifyGroupMessage(out.announcement(), next)
                // Another device's announcement does not cover Alice's messages.
                Device(NOW).use { mallory ->
                    mallory.createGroup(utf8("g"), policy, 0L).use { other ->
                        verifyAnnouncement(other.announcement())
                        assertFailsWith<QorganException.Malformed> { verifyGroupMessage(other.announcement(), next) }
                    }
                }
            }
        }
    }

    @Test
    fun singleItemsAsByteBuffers() {
        Device(NOW).use { alice ->
            alice.createGroup(utf8("g"), policy, 0L).use { out ->
                val identity = alice.identityKey()
                val announcement = out.announcement()
                val message = out.encrypt(utf8("hello"))
                // Direct buffers: the zero-copy forms.
                verifyIdentity(direct(identity))
                verifyBundle(direct(alice.bundle()))
                verifyAnnouncement(direct(announcement))
                verifyGroupMessage(direct(announcement), direct(message))
                assertFailsWith<QorganException.BadSignature> { verifyIdentity(direct(flipped(identity, -1))) }
                assertFailsWith<QorganException.BadSignature> {
                    verifyGroupMessage(direct(announcement), direct(flipped(message, -1)))
                }
                assertFailsWith<QorganException.Malformed> { verifyIdentity(ByteBuffer.allocateDirect(0)) }
                // A window of a larger direct buffer: slice() so that it starts at its own address.
                val big = ByteBuffer.allocateDirect(identity.size + 10)
                big.position(10)
                big.put(identity)
                big.position(10)
                verifyIdentity(big.slice())
                // Without slice(), Rust reads remaining() bytes from the buffer's
                // base address, ignoring the position (see ByteArrayOverloads.kt).
                assertFailsWith<QorganException.Malformed> { verifyIdentity(big) }

                // Heap buffers are refused by the generated converter before any native call.
                val heap = assertFailsWith<IllegalArgumentException> { verifyIdentity(ByteBuffer.wrap(identity)) }
                assertTrue("direct ByteBuffer" in heap.message.orEmpty(), heap.message)
                assertFailsWith<IllegalArgumentException> { verifyBundle(ByteBuffer.wrap(alice.bundle())) }
                assertFailsWith<IllegalArgumentException> { verifyAnnouncement(ByteBuffer.allocate(announcement.size).put(announcement).flip()) }
                assertFailsWith<IllegalArgumentException> { verifyGroupMessage(direct(announcement), ByteBuffer.wrap(message)) }
            }
        }
    }

    @Test
    fun batchVerificationWithKinds() {
        Device(NOW).use { alice ->
            alice.createGroup(utf8("g"), policy, 0L).use { out ->
                val identity = alice.identityKey()
                val bundle = alice.bundle()
                val announcement = out.announcement()
                val message = out.encrypt(utf8("hello"))
                val items = listOf(
                    VerifyItem.Identity(identity),
                    VerifyItem.Bundle(bundle),
                    VerifyItem.Announcement(announcement),
                    VerifyItem.GroupMessage(announcement, message),
                    VerifyItem.GroupMessage(announcement, flipped(message, -1)),
                    VerifyItem.Bundle(byteArrayOf(1)),
                    VerifyItem.GroupMessage(byteArrayOf(0), message),
                    VerifyItem.GroupMessage(flipped(announcement, -1), message),
                    VerifyItem.Identity(flipped(identity, -1)),
                    VerifyItem.Announcement(out.distribution()),
                )
                val results = verifyBatch(items)
                assertEquals(items.size, results.size)
                assertEquals(
                    listOf(true, true, true, true, false, false, false, false, false, false),
                    results.map { it.valid },
                )
                for (i in 0..3) assertNull(results[i].error, "item $i: ${results[i].error}")
                assertEquals(
                    listOf(
                        ErrorKind.BAD_SIGNATURE,
                        ErrorKind.MALFORMED,
                        ErrorKind.MALFORMED,
                        ErrorKind.BAD_SIGNATURE,
                        ErrorKind.BAD_SIGNATURE,
                        ErrorKind.MALFORMED,
                    ),
                    results.drop(4).map { it.error?.kind },
                )
                // Each batch verdict agrees with the single-item function.
                assertFailsWith<QorganException.BadSignature> { verifyGroupMessage(announcement, flipped(message, -1)) }
                assertTrue(verifyBatch(emptyList()).isEmpty())
            }
        }
    }

    @Test
    fun announcementMatchesWhatMembersReceive() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    alice.createGroup(utf8("team"), policy, 0L).use { out ->
                        val received = s.responder.decrypt(s.initiator.encrypt(out.distribution()))
                        GroupReceiver(received, s.responder.remoteIdentity()).use { rx ->
                            // The server checks with the public announcement what the member decrypts.
                            val m = out.encrypt(utf8("for members"))
                            verifyGroupMessage(out.announcement(), m)
                            assertEquals("for members", String(rx.decrypt(m).plaintext))
                        }
                    }
                }
            }
        }
    }

    @Test
    fun uploadVerifiedWithItsIdsAndRotationAfterSevenDays() {
        Device(NOW).use { dev ->
            assertEquals(3L, dev.generateOneTimePrekeys(3L))
            assertEquals(2L, dev.generateKemOneTimePrekeys(2L))
            val upload = assertNotNull(dev.upload(NOW))
            val info: UploadInfo = verifyUpload(upload)
            assertContentEquals(dev.identityKey(), info.identityKey)
            assertEquals(1L, info.signedPrekeyId)
            assertEquals(1L, info.lastResortKemPrekeyId) // ML-KEM ids share one space
            assertEquals(listOf(1L, 2L, 3L), info.oneTimePrekeyIds)
            assertEquals(listOf(2L, 3L), info.kemOneTimePrekeyIds)
            // Nothing new: nothing to send; then only what is new.
            assertNull(dev.upload(NOW + 60L))
            dev.generateOneTimePrekeys(2L)
            val second = verifyUpload(assertNotNull(dev.upload(NOW + 120L)))
            assertNull(second.signedPrekeyId)
            assertNull(second.lastResortKemPrekeyId)
            assertEquals(listOf(4L, 5L), second.oneTimePrekeyIds)
            assertEquals(emptyList(), second.kemOneTimePrekeyIds)
            // After 7 days (604800 s) both long-lived prekeys are due; upload rotates them.
            assertFalse(dev.needsRotation(NOW + 604_799L))
            assertTrue(dev.needsRotation(NOW + 604_800L))
            val rotated = verifyUpload(assertNotNull(dev.upload(NOW + 604_800L)))
            assertEquals(2L, rotated.signedPrekeyId)
            assertEquals(4L, rotated.lastResortKemPrekeyId)
            assertFalse(dev.needsRotation(NOW + 604_800L))
            // Tampered, truncated, not an upload; the same verdicts in a batch.
            val e = assertFailsWith<QorganException.BadSignature> { verifyUpload(flipped(upload, -1)) }
            assertEquals("prekey upload", e.what)
            assertFailsWith<QorganException.Malformed> { verifyUpload(upload.copyOf(upload.size - 1)) }
            assertFailsWith<QorganException.Malformed> { verifyUpload(dev.bundle()) }
            assertEquals(
                listOf(null, ErrorKind.BAD_SIGNATURE, ErrorKind.MALFORMED),
                verifyBatch(
                    listOf(VerifyItem.Upload(upload), VerifyItem.Upload(flipped(upload, -1)), VerifyItem.Upload(utf8("junk"))),
                ).map { it.error?.kind },
            )
        }
    }
}
