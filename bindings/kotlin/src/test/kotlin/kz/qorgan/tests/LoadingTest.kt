package kz.qorgan.tests

import com.sun.jna.NativeLibrary
import kz.qorgan.Device
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
        Device().use { it.identityKey() } // forces the load
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
            assertTrue(source.endsWith("qorgan-ffi.jar"), source)
        }
        assertEquals(
            setOf("verifyIdentity", "verifyBundle", "verifyAnnouncement", "verifyGroupMessage"),
            cls.declaredMethods.filter { java.lang.reflect.Modifier.isPublic(it.modifiers) }.map { it.name }.toSet(),
        )
        assertTrue(cls.declaredMethods.filter { java.lang.reflect.Modifier.isPublic(it.modifiers) }
            .all { m -> m.parameterTypes.all { it == ByteArray::class.java } })
    }
}
