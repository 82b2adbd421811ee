package kz.qorgan.tests

import kz.qorgan.Device
import kz.qorgan.GroupPolicy
import kz.qorgan.OutboundGroup
import kz.qorgan.QorganException
import kz.qorgan.VerifyItem
import kz.qorgan.verifyAnnouncement
import kz.qorgan.verifyBatch
import kz.qorgan.verifyBundle
import kz.qorgan.verifyIdentity
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Stateless verification, as a server would use it. */
class VerifyTest {
    @Test
    fun singleAndBatchVerification() {
        Device().use { alice ->
            OutboundGroup(utf8("g"), GroupPolicy(100u, 100u), 0u).use { out ->
                val identity = alice.identityKey()
                val bundle = alice.bundle()
                val announcement = announcementOf(out.distribution(alice))
                val message = out.encrypt(utf8("hello"))
                verifyIdentity(identity)
                verifyBundle(bundle)
                verifyAnnouncement(announcement)
                assertFailsWith<QorganException.BadSignature> { verifyAnnouncement(flipped(announcement, -1)) }

                val items = listOf(
                    VerifyItem.Identity(identity),
                    VerifyItem.Bundle(bundle),
                    VerifyItem.Announcement(announcement),
                    VerifyItem.GroupMessage(announcement, message),
                    VerifyItem.GroupMessage(announcement, flipped(message, -1)),
                    VerifyItem.Bundle(byteArrayOf(1)),
                    VerifyItem.GroupMessage(byteArrayOf(0), message),
                )
                val results = verifyBatch(items)
                assertEquals(items.size, results.size)
                for (i in 0..3) {
                    assertTrue(results[i].valid, "item $i: ${results[i].error}")
                    assertNull(results[i].error)
                }
                for (i in 4..6) {
                    assertFalse(results[i].valid, "item $i")
                    assertNotNull(results[i].error)
                }
                assertTrue(verifyBatch(emptyList()).isEmpty())
            }
        }
    }
}
