// Hand-written (not generated): ByteArray overloads of the zero-copy
// verification functions of qorgan_ffi.kt.
package kz.qorgan

import java.nio.Buffer
import java.nio.ByteBuffer

/*
 * Why these exist (the KDoc of each function below says it in short)
 *
 * The single-item verification functions take `&[u8]` on the Rust side, so
 * uniffi passes the bytes without copying them into a RustBuffer. In Kotlin
 * that makes the generated parameters `java.nio.ByteBuffer`, and the
 * generated converter (`FfiConverterByRefBytes.lower`) accepts only a
 * **direct** buffer: JNA can hand Rust the native address of a direct buffer
 * only. A heap buffer (`ByteBuffer.wrap(bytes)`, `ByteBuffer.allocate(n)`)
 * fails with `IllegalArgumentException` before any native call.
 *
 * Rust reads `remaining()` bytes starting at the buffer's native base
 * address (`Native.getDirectBufferPointer`), not at its `position()`: pass a
 * buffer whose position is 0 (use `slice()` to pass a window of a larger
 * buffer).
 *
 * App code mostly holds `ByteArray`s, which the JVM cannot expose to native
 * code without a copy anyway. The overloads below copy the array into a fresh
 * direct buffer (position 0, limit = size) and call the zero-copy function,
 * so callers can keep passing `ByteArray`. A server verifying at volume can
 * instead keep its own direct buffers and call the `ByteBuffer` forms.
 */

/** A new direct buffer holding a copy of [bytes], position 0, limit `bytes.size`. */
private fun direct(bytes: ByteArray): ByteBuffer {
    val buffer = ByteBuffer.allocateDirect(bytes.size)
    buffer.put(bytes)
    // Called through Buffer: the ByteBuffer.flip() override returning
    // ByteBuffer is JDK 9+ and missing from older Android runtimes.
    (buffer as Buffer).flip()
    return buffer
}

/**
 * Verifies a standalone identity key (its binding signature).
 * Copies [identity] into a direct buffer and calls the zero-copy
 * `verifyIdentity(ByteBuffer)`, which borrows its bytes without a copy and
 * so accepts only a direct buffer (a heap one throws `IllegalArgumentException`).
 */
@Throws(QorganException::class)
fun verifyIdentity(identity: ByteArray): Unit = verifyIdentity(direct(identity))

/**
 * Verifies a prekey bundle (all three signatures).
 * Copies [bundle] into a direct buffer and calls the zero-copy
 * `verifyBundle(ByteBuffer)`, which borrows its bytes without a copy and
 * so accepts only a direct buffer (a heap one throws `IllegalArgumentException`).
 */
@Throws(QorganException::class)
fun verifyBundle(bundle: ByteArray): Unit = verifyBundle(direct(bundle))

/**
 * Verifies a sender-key announcement (`OutboundGroup.announcement()`).
 * Copies [announcement] into a direct buffer and calls the zero-copy
 * `verifyAnnouncement(ByteBuffer)`, which borrows its bytes without a copy
 * and so accepts only a direct buffer (a heap one throws `IllegalArgumentException`).
 */
@Throws(QorganException::class)
fun verifyAnnouncement(announcement: ByteArray): Unit = verifyAnnouncement(direct(announcement))

/**
 * Verifies one group message against its chain's announcement (both
 * signatures). Copies both arguments into direct buffers and calls the
 * zero-copy `verifyGroupMessage(ByteBuffer, ByteBuffer)`, which borrows its
 * bytes without a copy and so accepts only direct buffers (a heap one throws
 * `IllegalArgumentException`).
 */
@Throws(QorganException::class)
fun verifyGroupMessage(announcement: ByteArray, message: ByteArray): Unit =
    verifyGroupMessage(direct(announcement), direct(message))
