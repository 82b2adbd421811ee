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
 * Verifies a prekey upload (`Device.upload(now)`) and returns what it carries
 * (identity, key ids). Copies [upload] into a direct buffer and calls the
 * zero-copy `verifyUpload(ByteBuffer)`, which borrows its bytes without a copy
 * and so accepts only a direct buffer (a heap one throws `IllegalArgumentException`).
 */
@Throws(QorganException::class)
fun verifyUpload(upload: ByteArray): UploadInfo = verifyUpload(direct(upload))

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

/*
 * The per-message calls take borrowed bytes too: an owned ByteArray argument
 * costs an extra JNA call (allocating the Rust-side buffer) on top of the
 * call itself, and a JNA call costs 10-30 µs on the machines measured
 * (bindings/README.md). These extension overloads keep `ByteArray` call
 * sites working; import them (`import kz.qorgan.encrypt`, or `kz.qorgan.*`).
 * Hot loops can reuse one direct buffer and call the ByteBuffer members.
 */

/** Largest argument copied into the per-thread scratch buffer; larger ones get a buffer of their own. */
private const val SCRATCH_MAX = 64 * 1024

private val scratch = ThreadLocal<ByteBuffer>()

/**
 * Runs [block] with [bytes] in a direct buffer (position 0, limit
 * `bytes.size`), then overwrites the copy with zeros: plaintexts must not
 * linger in native memory. Arguments up to [SCRATCH_MAX] reuse one buffer
 * per thread, because allocating a direct buffer per call (allocateDirect
 * zeroes it and registers a Cleaner) costs more than the copy. Safe to
 * reuse: calls are synchronous and Rust copies what it keeps.
 */
private inline fun <R> withDirect(bytes: ByteArray, block: (ByteBuffer) -> R): R {
    var buffer = if (bytes.size <= SCRATCH_MAX) scratch.get() else null
    if (buffer == null || buffer.capacity() < bytes.size) {
        buffer = ByteBuffer.allocateDirect(maxOf(bytes.size, 1024))
        if (bytes.size <= SCRATCH_MAX) scratch.set(buffer)
    }
    val b = buffer!!
    (b as Buffer).clear()
    b.put(bytes)
    (b as Buffer).flip()
    try {
        return block(b)
    } finally {
        for (i in bytes.indices) b.put(i, 0)
    }
}

/** [Session.encrypt] for a `ByteArray` (copied into a reused direct buffer, wiped after). */
@Throws(QorganException::class)
fun Session.encrypt(plaintext: ByteArray): ByteArray = withDirect(plaintext) { encrypt(it) }

/** [Session.decrypt] for a `ByteArray` (copied into a reused direct buffer, wiped after). */
@Throws(QorganException::class)
fun Session.decrypt(message: ByteArray): ByteArray = withDirect(message) { decrypt(it) }

/**
 * [Device.accept] for a `ByteArray` (copied into a reused direct buffer, wiped after);
 * [now] is the caller's clock in Unix seconds.
 */
@Throws(QorganException::class)
fun Device.accept(message: ByteArray, now: Long): AcceptResult = withDirect(message) { accept(it, now) }

/** [OutboundGroup.encrypt] for a `ByteArray` (copied into a reused direct buffer, wiped after). */
@Throws(QorganException::class)
fun OutboundGroup.encrypt(plaintext: ByteArray): ByteArray = withDirect(plaintext) { encrypt(it) }

/**
 * [GroupReceiver.decrypt] for a `ByteArray` (copied into a reused direct buffer, wiped after):
 * the plaintext with its provenance (sender, group, chain, rotation, iteration).
 */
@Throws(QorganException::class)
fun GroupReceiver.decrypt(message: ByteArray): GroupPlaintext = withDirect(message) { decrypt(it) }

/**
 * Verifies a device list (`Account.deviceList()`) and returns what it says
 * (account key, version, devices, head). Copies [deviceList] into a direct
 * buffer and calls the zero-copy `verifyDeviceList(ByteBuffer)`.
 */
@Throws(QorganException::class)
fun verifyDeviceList(deviceList: ByteArray): DeviceListInfo = verifyDeviceList(direct(deviceList))

/**
 * Verifies a device list and that it is [accountKey]'s and directly follows
 * the list with head [previous] (the one the server holds for that account).
 * Copies [deviceList] into a direct buffer and calls the zero-copy
 * `verifyDeviceListAfter(ByteArray, ListHead, ByteBuffer)`.
 */
@Throws(QorganException::class)
fun verifyDeviceListAfter(accountKey: ByteArray, previous: ListHead, deviceList: ByteArray): DeviceListInfo =
    verifyDeviceListAfter(accountKey, previous, direct(deviceList))

/**
 * Verifies a group roster (`Roster.toBytes()`) and returns what it says
 * (group, epoch, members, signer, head). Copies [roster] into a direct
 * buffer and calls the zero-copy `verifyRoster(ByteBuffer)`.
 */
@Throws(QorganException::class)
fun verifyRoster(roster: ByteArray): RosterInfo = verifyRoster(direct(roster))

/**
 * Verifies a roster and that it directly follows [previous] (the bytes of
 * the roster the server holds for the group) and is signed by one of its
 * admins. Copies [roster] into a direct buffer and calls the zero-copy
 * `verifyRosterAfter(ByteArray, ByteBuffer)`.
 */
@Throws(QorganException::class)
fun verifyRosterAfter(previous: ByteArray, roster: ByteArray): RosterInfo =
    verifyRosterAfter(previous, direct(roster))

/**
 * Verifies a statement or certificate (its rules and issuer signature,
 * whoever the issuer is). Copies [statement] into a direct buffer and calls
 * the zero-copy `verifyStatement(ByteBuffer)`.
 */
@Throws(QorganException::class)
fun verifyStatement(statement: ByteArray): StatementInfo = verifyStatement(direct(statement))

/**
 * Verifies a revocation list (its rules and issuer signature). Copies
 * [revocationList] into a direct buffer and calls the zero-copy
 * `verifyRevocationList(ByteBuffer)`.
 */
@Throws(QorganException::class)
fun verifyRevocationList(revocationList: ByteArray): RevocationListInfo =
    verifyRevocationList(direct(revocationList))

/**
 * Verifies a presentation (binary form; for a scanned QR text,
 * `Presentation.fromText(text).toBytes()`) against [anchors], the issuers'
 * [revocations] (bytes, verified in the call) and [now] (Unix seconds).
 * Copies [presentation] into a direct buffer and calls the zero-copy
 * `verifyPresentation(ByteBuffer, …)`.
 */
@Throws(QorganException::class)
fun verifyPresentation(
    presentation: ByteArray,
    anchors: List<TrustAnchor>,
    revocations: List<ByteArray>,
    now: Long,
): Verified = verifyPresentation(direct(presentation), anchors, revocations, now)

/**
 * The sending and addressed account keys an account envelope names (read
 * before [receive] to find the conversation: a contact's message, or a copy
 * from one of the account's own devices). Copies [plaintext] into a reused
 * direct buffer (wiped after) and calls the zero-copy
 * `envelopeAccounts(ByteBuffer)`.
 */
@Throws(QorganException::class)
fun envelopeAccounts(plaintext: ByteArray): EnvelopeAccounts = withDirect(plaintext) { envelopeAccounts(it) }

/*
 * fanout and receive take objects as arguments. uniffi checks that the
 * object a method is called on is open, not its arguments: a closed
 * argument would reach Rust as a freed handle. These overloads check that
 * every object argument is still open first (IllegalStateException, as for
 * a call on a closed object). The check does not guard against another
 * thread closing an argument during the call: close objects only after
 * the calls that use them.
 */

private fun checkOpen(account: Account, contact: Contact, sessions: List<Session> = emptyList()) {
    check(!account.uniffiIsDestroyed) { "Account object has already been destroyed" }
    check(!contact.uniffiIsDestroyed) { "Contact object has already been destroyed" }
    check(sessions.none { it.uniffiIsDestroyed }) { "Session object has already been destroyed" }
}

/**
 * [fanout] for a `ByteArray` body (copied into a reused direct buffer, wiped
 * after): one [Delivery] per device of the conversation. Throws
 * `IllegalStateException` if an object argument is closed.
 */
@Throws(QorganException::class)
fun fanout(account: Account, contact: Contact, sessions: List<Session>, body: ByteArray): List<Delivery> {
    checkOpen(account, contact, sessions)
    return withDirect(body) { fanout(account, contact, sessions, it) }
}

/**
 * [receive] for a `ByteArray` plaintext (copied into a reused direct buffer,
 * wiped after): the body and the heads report. Throws
 * `IllegalStateException` if an object argument is closed.
 */
@Throws(QorganException::class)
fun receive(account: Account, contact: Contact, senderIdentity: ByteArray, plaintext: ByteArray): Received {
    checkOpen(account, contact)
    return withDirect(plaintext) { receive(account, contact, senderIdentity, it) }
}

/**
 * [GroupReceiver.decryptInRoster] for a `ByteArray` message (copied into a
 * reused direct buffer, wiped after): the plaintext with its provenance,
 * once [roster] still admits the sender's chain ([contact]: the sender's
 * account; `null` for another device of [account]). Throws
 * `IllegalStateException` if an object argument is closed.
 */
@Throws(QorganException::class)
fun GroupReceiver.decryptInRoster(message: ByteArray, roster: Roster, account: Account, contact: Contact?): GroupPlaintext {
    check(!roster.uniffiIsDestroyed) { "Roster object has already been destroyed" }
    check(!account.uniffiIsDestroyed) { "Account object has already been destroyed" }
    check(contact == null || !contact.uniffiIsDestroyed) { "Contact object has already been destroyed" }
    return withDirect(message) { decryptInRoster(it, roster, account, contact) }
}

/*
 * StoreAccount: the per-message calls borrow their bytes (zero-copy); these
 * overloads take `ByteArray`s. The plaintext or message goes through the
 * reused direct buffer (wiped after), identity keys and group ids through a
 * fresh one. The store itself is a receiver, so a closed store throws
 * `IllegalStateException` from the generated call.
 */

/** [StoreAccount.encrypt] for `ByteArray`s: the message is in the outbox when this returns. */
@Throws(QorganException::class)
fun StoreAccount.encrypt(device: ByteArray, plaintext: ByteArray): Outgoing {
    val to = direct(device)
    return withDirect(plaintext) { encrypt(to, it) }
}

/** [StoreAccount.decrypt] for `ByteArray`s: what it produced is committed when this returns. */
@Throws(QorganException::class)
fun StoreAccount.decrypt(sender: ByteArray, message: ByteArray, now: Long): StoreDelivery {
    val from = direct(sender)
    return withDirect(message) { decrypt(from, it, now) }
}

/** [StoreAccount.groupEncrypt] for `ByteArray`s: everything is in the outbox when this returns. */
@Throws(QorganException::class)
fun StoreAccount.groupEncrypt(groupId: ByteArray, plaintext: ByteArray, now: Long): GroupSend {
    val group = direct(groupId)
    return withDirect(plaintext) { groupEncrypt(group, it, now) }
}

/** [StoreAccount.groupDecrypt] for `ByteArray`s: the plaintext is in the inbox when this returns. */
@Throws(QorganException::class)
fun StoreAccount.groupDecrypt(groupId: ByteArray, sender: ByteArray, message: ByteArray): StoreDelivery {
    val group = direct(groupId)
    val from = direct(sender)
    return withDirect(message) { groupDecrypt(group, from, it) }
}

/** [messageInfo] for a `ByteArray` message: its type and routing information. */
@Throws(QorganException::class)
fun messageInfo(message: ByteArray): MessageInfo = messageInfo(direct(message))
