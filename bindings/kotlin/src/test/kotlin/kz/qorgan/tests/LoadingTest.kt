package kz.qorgan.tests

import com.sun.jna.NativeLibrary
import kz.qorgan.Account
import kz.qorgan.Contact
import kz.qorgan.Device
import kz.qorgan.GroupReceiver
import kz.qorgan.ListHead
import kz.qorgan.OutboundGroup
import kz.qorgan.Roster
import kz.qorgan.Session
import kz.qorgan.StoreAccount
import kz.qorgan.decrypt
import java.nio.ByteBuffer
import kotlin.test.assertFailsWith
import kotlin.test.Test
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertTrue

/** The native library comes from the jar's JNA resource, not from target/. */
class LoadingTest {
    @Test
    fun nativeLibraryIsLoadedFromTheJarResource() {
        val resource = javaClass.classLoader.getResource("linux-x86-64/libqorgan_ffi.so")
        assertNotNull(resource, "linux-x86-64/libqorgan_ffi.so on the classpath")
        if (System.getProperty("qorgan.expectJar") == "true") {
            assertEquals("jar", resource.protocol, resource.toString())
        }
        Device(NOW).use { it.identityKey() } // forces the load
        val file = NativeLibrary.getInstance("qorgan_ffi").file
        assertNotNull(file)
        assertTrue("target/release" !in file.path, "loaded from ${file.path}")
    }

    @Test
    fun handWrittenOverloadsAreInTheJar() {
        // ByteArrayOverloads.kt is compiled with the generated bindings and packed with them.
        val cls = Class.forName("kz.qorgan.ByteArrayOverloadsKt")
        val source = cls.protectionDomain.codeSource.location.toString()
        if (System.getProperty("qorgan.expectJar") == "true") {
            assertTrue(source.endsWith(System.getProperty("qorgan.jarName", "qorgan-ffi.jar")), source)
        }
        val public = cls.declaredMethods.filter { java.lang.reflect.Modifier.isPublic(it.modifiers) }
        // Functions with a Long parameter get a mangled JVM name ("accept-<hash>").
        fun name(m: java.lang.reflect.Method) = m.name.substringBefore('-')
        assertEquals(
            setOf(
                "verifyIdentity", "verifyBundle", "verifyUpload", "verifyAnnouncement", "verifyGroupMessage",
                "verifyDeviceList", "verifyDeviceListAfter", "encrypt", "decrypt", "accept", "fanout", "receive",
                "envelopeAccounts", "verifyRoster", "verifyRosterAfter", "verifyStatement", "verifyRevocationList",
                "verifyPresentation", "decryptInRoster", "groupEncrypt", "groupDecrypt", "messageInfo",
            ),
            public.map { name(it) }.toSet(),
        )
        // verify*: every parameter a ByteArray (verifyDeviceListAfter: the
        // account key, the held head, the list; verifyPresentation: the
        // presentation, then anchors, lists and `now`); decryptInRoster: the
        // receiver, the message, then the roster objects; fanout and receive: the generated
        // function's parameters with the last one a ByteArray; the
        // per-message extensions: the receiver object, then one ByteArray
        // (and `now` for accept).
        val receivers = setOf(Session::class.java, Device::class.java, OutboundGroup::class.java, GroupReceiver::class.java)
        for (m in public) {
            val params = m.parameterTypes.toList()
            if (params.firstOrNull() == StoreAccount::class.java) {
                // StoreAccount.encrypt(device, plaintext), decrypt(sender, message, now),
                // groupEncrypt(groupId, plaintext, now), groupDecrypt(groupId, sender, message).
                val bytes = params.drop(1).filter { it == ByteArray::class.java }.size
                val now = params.drop(1).filter { it == Long::class.javaPrimitiveType }.size
                assertEquals(params.size - 1, bytes + now, m.toString())
                assertTrue(name(m) in setOf("encrypt", "decrypt", "groupEncrypt", "groupDecrypt"), m.toString())
            } else if (name(m) == "messageInfo") {
                assertEquals(listOf(ByteArray::class.java), params, m.toString())
            } else if (name(m) == "verifyDeviceListAfter") {
                assertEquals(listOf(ByteArray::class.java, ListHead::class.java, ByteArray::class.java), params, m.toString())
            } else if (name(m) == "verifyPresentation") {
                // The presentation, the anchors, the revocation lists, `now`.
                assertEquals(
                    listOf(ByteArray::class.java, List::class.java, List::class.java, Long::class.javaPrimitiveType),
                    params,
                    m.toString(),
                )
            } else if (name(m) == "decryptInRoster") {
                assertEquals(
                    listOf(GroupReceiver::class.java, ByteArray::class.java, Roster::class.java, Account::class.java, Contact::class.java),
                    params,
                    m.toString(),
                )
            } else if (name(m).startsWith("verify")) {
                assertTrue(params.all { it == ByteArray::class.java }, m.toString())
            } else if (name(m) == "fanout") {
                assertEquals(
                    listOf(Account::class.java, Contact::class.java, List::class.java, ByteArray::class.java),
                    params,
                    m.toString(),
                )
            } else if (name(m) == "envelopeAccounts") {
                assertEquals(listOf(ByteArray::class.java), params, m.toString())
            } else if (name(m) == "receive") {
                assertEquals(
                    listOf(Account::class.java, Contact::class.java, ByteArray::class.java, ByteArray::class.java),
                    params,
                    m.toString(),
                )
            } else {
                val extra = if (name(m) == "accept") listOf(Long::class.javaPrimitiveType) else emptyList()
                assertTrue(params.size == 2 + extra.size && params[0] in receivers && params[1] == ByteArray::class.java, m.toString())
                assertEquals(extra, params.drop(2), m.toString())
            }
        }
    }

    @Test
    fun directBuffersAndByteArraysAreInterchangeable() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    val text = utf8("zero-copy")
                    val buffer = ByteBuffer.allocateDirect(text.size)
                    buffer.put(text)
                    (buffer as java.nio.Buffer).flip()
                    val wire = s.initiator.encrypt(buffer)
                    assertEquals("zero-copy", String(s.responder.decrypt(wire)))
                    // A heap buffer cannot be borrowed by native code.
                    assertFailsWith<IllegalArgumentException> { s.initiator.encrypt(ByteBuffer.wrap(text)) }
                }
            }
        }
    }
}
