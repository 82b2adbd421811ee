package kz.qorgan.tests

import kz.qorgan.accept
import kz.qorgan.decrypt
import kz.qorgan.encrypt
import kz.qorgan.Device
import kz.qorgan.Session
import kotlin.test.assertEquals

/** The caller's clock (Unix seconds) the tests run at: the library reads none. */
const val NOW: Long = 1_700_000_000L

/** One day in seconds. */
const val DAY: Long = 86_400L

/** UTF-8 bytes of [s]. */
fun utf8(s: String): ByteArray = s.toByteArray(Charsets.UTF_8)

/** A 32-byte storage key that differs per [seed]. */
fun storageKey(seed: Int): ByteArray = ByteArray(32) { (it * 7 + seed).toByte() }

/** A copy of [bytes] with the byte at [index] (negative: from the end) flipped. */
fun flipped(bytes: ByteArray, index: Int): ByteArray {
    val copy = bytes.copyOf()
    val i = if (index < 0) copy.size + index else index
    copy[i] = (copy[i].toInt() xor 0x01).toByte()
    return copy
}

/** Two established sessions: the initiator's and the responder's; the responder has replied. */
class Established(val initiator: Session, val responder: Session) : AutoCloseable {
    override fun close() {
        initiator.close()
        responder.close()
    }
}

/** Runs the handshake from [from] to [to] and one reply, so neither side is pending. */
fun establish(from: Device, to: Device): Established {
    val initiator = from.initiate(to.bundle())
    val accepted = to.accept(initiator.encrypt(utf8("hello")), NOW)
    assertEquals("hello", String(accepted.plaintext))
    val responder = accepted.session
    assertEquals("hi", String(initiator.decrypt(responder.encrypt(utf8("hi")))))
    return Established(initiator, responder)
}
