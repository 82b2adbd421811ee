package kz.qorgan.tests

import kz.qorgan.accept
import kz.qorgan.decrypt
import kz.qorgan.encrypt
import kz.qorgan.fanout
import kz.qorgan.receive
import kz.qorgan.verifyDeviceListAfter
import kz.qorgan.Account
import kz.qorgan.Contact
import kz.qorgan.Device
import kz.qorgan.ErrorKind
import kz.qorgan.LinkRequest
import kz.qorgan.linkCodeDevice
import kz.qorgan.GroupPolicy
import kz.qorgan.GroupReceiver
import kz.qorgan.QorganException
import kz.qorgan.Session
import kz.qorgan.verifyAnnouncement
import kz.qorgan.verifyBundle
import kz.qorgan.verifyIdentity
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Every error variant that can be provoked through the API, mapped to its exception class. */
class ErrorsTest {
    private val policy = GroupPolicy(maxMessages = 10_000L, maxAgeSecs = 86_400L)

    companion object {
        /** Variants provoked below. */
        val PROVOKED = setOf(
            QorganException.Malformed::class.java,
            QorganException.BadSignature::class.java,
            QorganException.AuthenticationFailed::class.java,
            QorganException.Duplicate::class.java,
            QorganException.TooFarAhead::class.java,
            QorganException.UntrustedIdentity::class.java,
            QorganException.UnknownPreKey::class.java,
            QorganException.PreKeyExpired::class.java,
            QorganException.Replay::class.java,
            QorganException.NonContributory::class.java,
            QorganException.RotationRequired::class.java,
            QorganException.WrongChain::class.java,
            QorganException.BeforeFirstIteration::class.java,
            QorganException.WrongGroup::class.java,
            QorganException.KeyCommitmentMismatch::class.java,
            QorganException.ConflictingChainKey::class.java,
            QorganException.ConflictingRotation::class.java,
            QorganException.RetiredChain::class.java,
            QorganException.CorruptState::class.java,
            QorganException.WrongOwner::class.java,
            QorganException.RolledBack::class.java,
            QorganException.InvalidArgument::class.java,
            QorganException.NotSuccessor::class.java,
            QorganException.WrongAccount::class.java,
            QorganException.ListRolledBack::class.java,
            QorganException.Fork::class.java,
            QorganException.Gap::class.java,
            QorganException.InvalidList::class.java,
            QorganException.ProvisioningFailed::class.java,
            QorganException.InvalidLinkCode::class.java,
            QorganException.NoAccountKey::class.java,
            QorganException.DeviceNotListed::class.java,
            QorganException.Misaddressed::class.java,
            // Provoked in RosterTest.
            QorganException.InvalidRoster::class.java,
            QorganException.RosterRolledBack::class.java,
            QorganException.RosterFork::class.java,
            QorganException.RosterGap::class.java,
            QorganException.RosterBehind::class.java,
            QorganException.StaleChain::class.java,
            QorganException.SenderNotMember::class.java,
            QorganException.NotMember::class.java,
            QorganException.RosterMismatch::class.java,
            QorganException.NotAdmin::class.java,
            QorganException.SignerNotAdmin::class.java,
            QorganException.RosterNotSuccessor::class.java,
            // Provoked in CertificateTest.
            QorganException.InvalidStatement::class.java,
            QorganException.UnknownIssuer::class.java,
            QorganException.InvalidChain::class.java,
            QorganException.NotYetValid::class.java,
            QorganException.Expired::class.java,
            QorganException.Revoked::class.java,
            QorganException.WrongSubject::class.java,
            QorganException.InvalidText::class.java,
            // Provoked in StoreTest.
            QorganException.WrongStorageKey::class.java,
            QorganException.CorruptStore::class.java,
            QorganException.NewerVersion::class.java,
            QorganException.StoreRolledBack::class.java,
            QorganException.NotFound::class.java,
            QorganException.NoSession::class.java,
        )

        /**
         * Variants that cannot be provoked from Kotlin:
         * - ChainExhausted: a 1:1 sending chain is exhausted after 2^24-1
         *   (16,777,215) messages without a reply (too slow for a test); the
         *   group one is unreachable while max_messages is a u32.
         * - Internal: the OS random generator failing, or a mutex poisoned
         *   by a panic inside Rust; neither can be caused through the API.
         * - NotListed: never thrown; `fanout` reports it per device in
         *   `Delivery.error` (AccountTest checks it, and NoSession there).
         * - Database: SQLite failing, or another process holding the store
         *   locked past the 10 s busy timeout.
         * - NotInRoster: never thrown; `distributeInRoster` reports it per
         *   session in `FanoutResult.error` (RosterTest checks it).
         */
        val NOT_PROVOKABLE = setOf(
            QorganException.ChainExhausted::class.java,
            QorganException.Internal::class.java,
            QorganException.NotListed::class.java,
            QorganException.Database::class.java,
            QorganException.NotInRoster::class.java,
        )
    }

    /** The QorganException subclasses, one per Rust variant. */
    private fun variants(): Set<Class<*>> = QorganException::class.java.declaredClasses
        .filter { QorganException::class.java.isAssignableFrom(it) }
        .toSet()

    @Test
    fun everyVariantIsCoveredOrListed() {
        val all = variants()
        assertEquals(64, all.size, all.toString())
        assertEquals(all, PROVOKED + NOT_PROVOKABLE)
    }

    @Test
    fun errorKindHasOneValuePerExceptionVariant() {
        // UnknownPreKey -> UNKNOWN_PRE_KEY, as uniffi names enum values.
        val fromExceptions = variants()
            .map { it.simpleName.replace(Regex("(?<=[a-z])(?=[A-Z])"), "_").uppercase() }
            .toSet()
        val kinds = ErrorKind.entries.map { it.name }
        assertEquals(kinds.size, kinds.toSet().size)
        assertEquals(fromExceptions, kinds.toSet())
        assertEquals(variants().size, kinds.size)
    }

    @Test
    fun malformed() {
        assertFailsWith<QorganException.Malformed> { verifyBundle(byteArrayOf(1, 2, 3)) }
        assertFailsWith<QorganException.Malformed> { verifyIdentity(ByteArray(0)) }
        Device(NOW).use { d ->
            assertFailsWith<QorganException.Malformed> { d.initiate(utf8("not a bundle")) }
            assertFailsWith<QorganException.Malformed> { d.accept(ByteArray(10), NOW) }
        }
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    // A normal (non-prekey) message given to Device.accept.
                    assertFailsWith<QorganException.Malformed> { bob.accept(s.initiator.encrypt(utf8("x")), NOW) }
                    assertFailsWith<QorganException.Malformed> { s.responder.decrypt(byteArrayOf(1, 1, 0)) }
                }
            }
        }
    }

    @Test
    fun badSignature() {
        Device(NOW).use { bob ->
            val bundle = bob.bundle()
            // A byte inside the signed prekey's public key (after 2 + 128 + 4).
            val tampered = flipped(bundle, 2 + 128 + 4 + 5)
            val e = assertFailsWith<QorganException.BadSignature> { verifyBundle(tampered) }
            assertTrue(e.what.isNotEmpty())
            Device(NOW).use { alice -> assertFailsWith<QorganException.BadSignature> { alice.initiate(tampered) } }
            // The identity binding signature (inside the 128-byte identity).
            assertFailsWith<QorganException.BadSignature> { verifyIdentity(flipped(bob.identityKey(), 2 + 70)) }
        }
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    alice.createGroup(utf8("g"), policy, 0L).use { out ->
                        GroupReceiver(out.distribution(), s.responder.remoteIdentity()).use { rx ->
                            val m = out.encrypt(utf8("signed"))
                            // A byte of the message signature (its last 64 bytes).
                            assertFailsWith<QorganException.BadSignature> { rx.decrypt(flipped(m, -40)) }
                            assertEquals("signed", String(rx.decrypt(m).plaintext))
                            // An announcement ends with the chain key's proof of possession
                            // (64 bytes) and the identity's signature (64 bytes).
                            val announcement = out.announcement()
                            val possession = assertFailsWith<QorganException.BadSignature> {
                                verifyAnnouncement(flipped(announcement, -64 - 10))
                            }
                            assertEquals("sender-key proof of possession", possession.what)
                            val identity = assertFailsWith<QorganException.BadSignature> {
                                verifyAnnouncement(flipped(announcement, -10))
                            }
                            assertEquals("sender-key distribution", identity.what)
                        }
                    }
                }
            }
        }
    }

    @Test
    fun authenticationFailed() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    val m = s.initiator.encrypt(utf8("payload"))
                    assertFailsWith<QorganException.AuthenticationFailed> { s.responder.decrypt(flipped(m, -1)) }
                    assertFailsWith<QorganException.AuthenticationFailed> { s.responder.decrypt(flipped(m, 36)) }
                    // The session is unchanged by a failure.
                    assertEquals("payload", String(s.responder.decrypt(m)))
                }
            }
        }
    }

    @Test
    fun duplicate() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    val m = s.initiator.encrypt(utf8("once"))
                    s.responder.decrypt(m)
                    val e = assertFailsWith<QorganException.Duplicate> { s.responder.decrypt(m) }
                    // The first message of the initiator's new chain (after the reply).
                    assertEquals(0L, e.index)
                }
            }
        }
    }

    @Test
    fun tooFarAhead() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    var last = ByteArray(0)
                    repeat(2_100) { last = s.initiator.encrypt(utf8("m$it")) }
                    val e = assertFailsWith<QorganException.TooFarAhead> { s.responder.decrypt(last) }
                    assertEquals(2_000L, e.limit)
                    assertTrue(e.gap > 2_000L)
                }
            }
        }
    }

    @Test
    fun untrustedIdentity() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                Device(NOW).use { carol ->
                    establish(alice, bob).use { ab ->
                        establish(carol, bob).use { cb ->
                            alice.createGroup(utf8("g"), policy, 0L).use { out ->
                                // Alice's distribution arriving over Bob's session with Carol.
                                assertFailsWith<QorganException.UntrustedIdentity> {
                                    GroupReceiver(out.distribution(), cb.responder.remoteIdentity())
                                }
                                GroupReceiver(out.distribution(), ab.responder.remoteIdentity()).use { rx ->
                                    out.rotate(1L)
                                    assertFailsWith<QorganException.UntrustedIdentity> {
                                        rx.add(out.distribution(), cb.responder.remoteIdentity())
                                    }
                                    // Refused additions leave the receiver as it was.
                                    assertContentEquals(alice.identityKey(), rx.senderIdentity())
                                    rx.add(out.distribution(), ab.responder.remoteIdentity())
                                    assertEquals("rotated", String(rx.decrypt(out.encrypt(utf8("rotated"))).plaintext))
                                }
                            }
                        }
                        // A prekey message of another session.
                        Device(NOW).use { dave ->
                            dave.initiate(bob.bundle()).use { d ->
                                val foreign = d.encrypt(utf8("to bob"))
                                alice.initiate(bob.bundle()).use { a2 ->
                                    val accepted = bob.accept(a2.encrypt(utf8("second session")), NOW)
                                    accepted.session.use { b2 ->
                                        assertFailsWith<QorganException.UntrustedIdentity> { b2.decrypt(foreign) }
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
    fun unknownPreKeyAndReplay() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                assertEquals(1L, bob.generateOneTimePrekeys(1L))
                alice.initiate(bob.bundle()).use { a ->
                    val first = a.encrypt(utf8("with one-time prekey"))
                    bob.accept(first, NOW).session.close()
                    // The one-time prekey is consumed.
                    val e = assertFailsWith<QorganException.UnknownPreKey> { bob.accept(first, NOW) }
                    assertTrue(e.id > 0L)
                    assertEquals("one-time prekey", e.what)
                    assertEquals("unknown or consumed one-time prekey ${e.id}", e.message)
                }
                // No one-time prekey left: the handshake's base key is remembered.
                alice.initiate(bob.bundle()).use { a ->
                    val first = a.encrypt(utf8("without one-time prekey"))
                    bob.accept(first, NOW).session.close()
                    assertFailsWith<QorganException.Replay> { bob.accept(first, NOW) }
                }
            }
            // A signed prekey rotated out before the handshake arrived.
            Device(NOW).use { bob1 ->
                alice.initiate(bob1.bundle()).use { a ->
                    val first = a.encrypt(utf8("to bob1"))
                    // Rotated out after MAX_RETIRED_SIGNED_PREKEYS (3) further rotations.
                    repeat(4) { bob1.rotateSignedPrekey(NOW) }
                    assertFailsWith<QorganException.UnknownPreKey> { bob1.accept(first, NOW) }
                }
            }
        }
    }

    @Test
    fun nonContributory() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                alice.initiate(bob.bundle()).use { a ->
                    val accepted = bob.accept(a.encrypt(utf8("hello")), NOW)
                    accepted.session.use { b ->
                        // Bob's reply with its ratchet key (bytes 2..34) set to the
                        // all-zero low-order point.
                        val reply = b.encrypt(utf8("reply"))
                        assertEquals(1, reply[1].toInt(), "a normal message")
                        for (i in 2 until 34) reply[i] = 0
                        assertFailsWith<QorganException.NonContributory> { a.decrypt(reply) }
                    }
                }
            }
        }
    }

    @Test
    fun rotationRequired() {
        Device(NOW).use { alice ->
            alice.createGroup(utf8("g"), policy, 0L).use { out ->
                out.markMemberRemoved()
                val e = assertFailsWith<QorganException.RotationRequired> { out.encrypt(utf8("x")) }
                assertTrue(e.reason.isNotEmpty())
            }
        }
    }

    @Test
    fun wrongChainAndBeforeFirstIteration() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    alice.createGroup(utf8("g"), policy, 0L).use { out ->
                        val early = out.encrypt(utf8("before the distribution"))
                        GroupReceiver(out.distribution(), s.responder.remoteIdentity()).use { rx ->
                            val before = assertFailsWith<QorganException.BeforeFirstIteration> { rx.decrypt(early) }
                            assertEquals(0L, before.iteration)
                            assertEquals(1L, before.first)
                            val held = out.chainId()
                            out.rotate(10L)
                            val e = assertFailsWith<QorganException.WrongChain> { rx.decrypt(out.encrypt(utf8("new chain"))) }
                            assertEquals(held, e.heldChainId)
                            assertEquals(out.chainId(), e.chainId)
                            assertEquals(
                                "group message for chain 0x%08x, this receiver holds chain 0x%08x".format(e.chainId.toInt(), held.toInt()),
                                e.message,
                            )
                        }
                    }
                }
            }
        }
    }

    @Test
    fun corruptState() {
        Device(NOW).use { d ->
            val sealed = d.seal(storageKey(1))
            val id = d.identityKey()
            assertFailsWith<QorganException.CorruptState> { Device.open(storageKey(2), sealed, id, 0L) }
            assertFailsWith<QorganException.CorruptState> { Device.open(storageKey(1), flipped(sealed, -1), id, 0L) }
            assertFailsWith<QorganException.CorruptState> { Session.open(storageKey(1), sealed, ByteArray(32), 0L) }
            assertFailsWith<QorganException.CorruptState> { d.openGroup(storageKey(1), ByteArray(100), utf8("g"), 0L) }
            assertFailsWith<QorganException.CorruptState> { GroupReceiver.open(storageKey(1), ByteArray(0), utf8("g"), id, 0L) }
        }
    }

    @Test
    fun invalidArgument() {
        Device(NOW).use { d ->
            assertFailsWith<QorganException.InvalidArgument> { d.seal(ByteArray(31)) }
            assertFailsWith<QorganException.InvalidArgument> { Device.open(ByteArray(33), ByteArray(10), d.identityKey(), 0L) }
            assertFailsWith<QorganException.InvalidArgument> { Session.open(storageKey(1), ByteArray(10), ByteArray(31), 0L) }
            // Integers are Long (Java calls them); what the library cannot hold is refused, not wrapped.
            val negative = assertFailsWith<QorganException.InvalidArgument> { d.needsRotation(-1L) }
            assertEquals("invalid argument: now must not be negative (got -1)", negative.message)
            assertFailsWith<QorganException.InvalidArgument> { Device(-1L) }
            assertFailsWith<QorganException.InvalidArgument> { d.bundles(-1L) }
            assertFailsWith<QorganException.InvalidArgument> { d.generateOneTimePrekeys(4_294_967_296L) }
        }
        Device(NOW).use { alice ->
            alice.createGroup(utf8("g"), policy, 0L).use { out ->
                assertFailsWith<QorganException.InvalidArgument> { out.seal(ByteArray(0)) }
                assertFailsWith<QorganException.InvalidArgument> { alice.openGroup(ByteArray(16), out.seal(storageKey(1)), utf8("g"), 0L) }
                assertFailsWith<QorganException.InvalidArgument> { alice.openGroup(storageKey(1), out.seal(storageKey(1)), ByteArray(65), 0L) }
            }
            // A group id longer than 64 bytes; 64 is accepted.
            val e = assertFailsWith<QorganException.InvalidArgument> { alice.createGroup(ByteArray(65), policy, 0L) }
            assertTrue("65" in e.reason, e.reason)
            alice.createGroup(ByteArray(64) { 7 }, policy, 0L).use { assertContentEquals(ByteArray(64) { 7 }, it.groupId()) }
        }
    }

    @Test
    fun wrongGroup() {
        // A distribution of another group of the same sender, added to a receiver.
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    alice.createGroup(utf8("g1"), policy, 0L).use { g1 ->
                        alice.createGroup(utf8("g2"), policy, 0L).use { g2 ->
                            GroupReceiver(g1.distribution(), s.responder.remoteIdentity()).use { rx ->
                                val e = assertFailsWith<QorganException.WrongGroup> {
                                    rx.add(g2.distribution(), s.responder.remoteIdentity())
                                }
                                assertTrue(e.reason.isNotEmpty())
                                // The receiver still reads g1 and nothing of g2.
                                assertEquals("g1 only", String(rx.decrypt(g1.encrypt(utf8("g1 only"))).plaintext))
                                assertFailsWith<QorganException.WrongChain> { rx.decrypt(g2.encrypt(utf8("g2"))) }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    fun keyCommitmentMismatchAndConflictingChainKeyFromATamperedExport() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    alice.createGroup(utf8("g"), policy, 0L).use { out ->
                        val dist = s.responder.decrypt(s.initiator.encrypt(out.distribution()))
                        GroupReceiver(dist, s.responder.remoteIdentity()).use { rx ->
                            val export = rx.export()
                            // The export's announcement is signed (checked on import); its chain
                            // key, the last 32 bytes, is not: the import succeeds ...
                            GroupReceiver.fromExport(flipped(export, -1)).use { wrong ->
                                assertContentEquals(alice.identityKey(), wrong.senderIdentity())
                                // ... and every message then fails its key commitment.
                                val m = out.encrypt(utf8("m"))
                                val e = assertFailsWith<QorganException.KeyCommitmentMismatch> { wrong.decrypt(m) }
                                assertEquals(0L, e.iteration)
                                val batch = wrong.decryptBatch(listOf(m)).single()
                                assertNull(batch.decrypted)
                                assertEquals(ErrorKind.KEY_COMMITMENT_MISMATCH, batch.error?.kind)
                                assertTrue("key commitment mismatch at iteration 0" in batch.error!!.message, batch.error!!.message)
                                // The sender's own distribution of that chain does not merge with it.
                                val c = assertFailsWith<QorganException.ConflictingChainKey> {
                                    wrong.add(dist, s.responder.remoteIdentity())
                                }
                                assertEquals(out.chainId(), c.chainId)
                                // The genuine copy reads the message.
                                assertEquals("m", String(rx.decrypt(m).plaintext))
                            }
                            // A flipped bit in the identity's signature (before iteration and chain key).
                            val b = assertFailsWith<QorganException.BadSignature> {
                                GroupReceiver.fromExport(flipped(export, -36 - 10))
                            }
                            assertEquals("sender-key distribution", b.what)
                        }
                    }
                }
            }
        }
    }

    @Test
    fun conflictingRotationAndRetiredChain() {
        val key = storageKey(5)
        Device(NOW).use { alice ->
            alice.createGroup(utf8("g"), policy, 0L).use { out ->
                val first = out.distribution()
                GroupReceiver(first, alice.identityKey()).use { rx ->
                    // A copy of the sender's state rotated apart from the original:
                    // two different chains announced as rotation 1.
                    val sealed = out.seal(key)
                    alice.openGroup(key, sealed, utf8("g"), out.generation()).use { fork ->
                        out.rotate(1L)
                        fork.rotate(1L)
                        assertEquals(1L, fork.rotation())
                        rx.add(out.distribution(), alice.identityKey())
                        val e = assertFailsWith<QorganException.ConflictingRotation> {
                            rx.add(fork.distribution(), alice.identityKey())
                        }
                        assertEquals(1L, e.rotation)
                        assertFailsWith<QorganException.WrongChain> { rx.decrypt(fork.encrypt(utf8("refused"))) }
                    }
                    // The current chain and two retired ones are kept: after two more
                    // rotations rotation 0 is dropped, and stays dropped.
                    for (now in 2L..3L) {
                        out.rotate(now.toLong())
                        rx.add(out.distribution(), alice.identityKey())
                    }
                    val e = assertFailsWith<QorganException.RetiredChain> { rx.add(first, alice.identityKey()) }
                    assertEquals(0L, e.rotation)
                    assertEquals(1L, e.oldest)
                    assertEquals(3L, rx.decrypt(out.encrypt(utf8("current"))).rotation)
                }
            }
        }
    }

    @Test
    fun wrongOwner() {
        // Authentic sealed state of another object than the one asked for.
        val key = storageKey(6)
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                Device(NOW).use { carol ->
                    establish(alice, bob).use { ab ->
                        establish(alice, carol).use { ac ->
                            // Carol's session stored where Bob's should be.
                            assertFailsWith<QorganException.WrongOwner> {
                                Session.open(key, ac.initiator.seal(key), ab.initiator.sessionId(), 0L)
                            }
                        }
                    }
                    // Another device's state.
                    assertFailsWith<QorganException.WrongOwner> { Device.open(key, bob.seal(key), carol.identityKey(), 0L) }
                    // Another group's chain; another sender's receiver.
                    alice.createGroup(utf8("g1"), policy, 0L).use { out ->
                        assertFailsWith<QorganException.WrongOwner> { alice.openGroup(key, out.seal(key), utf8("g2"), 0L) }
                        GroupReceiver(out.distribution(), alice.identityKey()).use { rx ->
                            assertFailsWith<QorganException.WrongOwner> {
                                GroupReceiver.open(key, rx.seal(key), utf8("g1"), bob.identityKey(), 0L)
                            }
                            GroupReceiver.open(key, rx.seal(key), utf8("g1"), alice.identityKey(), rx.generation()).close()
                        }
                    }
                }
            }
        }
    }

    @Test
    fun rolledBack() {
        // An older blob of the expected object than the generation recorded.
        val key = storageKey(7)
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                establish(alice, bob).use { s ->
                    val a = s.initiator
                    val older = a.seal(key)
                    assertEquals("after the backup", String(s.responder.decrypt(a.encrypt(utf8("after the backup")))))
                    val newer = a.seal(key)
                    assertEquals(2L, a.generation())
                    val e = assertFailsWith<QorganException.RolledBack> { Session.open(key, older, a.sessionId(), a.generation()) }
                    assertEquals(2L, e.minGeneration)
                    assertEquals(1L, e.found)
                    assertEquals(ErrorKind.ROLLED_BACK, ErrorKind.valueOf("ROLLED_BACK"))
                    Session.open(key, newer, a.sessionId(), a.generation()).use { assertEquals(2L, it.generation()) }
                }
                val oldDevice = bob.seal(key)
                bob.seal(key)
                assertFailsWith<QorganException.RolledBack> { Device.open(key, oldDevice, bob.identityKey(), bob.generation()) }
            }
        }
    }

    @Test
    fun preKeyExpired() {
        Device(NOW).use { alice ->
            Device(NOW).use { bob ->
                alice.initiate(bob.bundle()).use { a ->
                    val first = a.encrypt(utf8("from a bundle fetched long ago"))
                    bob.rotateSignedPrekey(NOW + DAY)
                    // 28 days after its retirement the old signed prekey is refused.
                    val e = assertFailsWith<QorganException.PreKeyExpired> { bob.accept(first, NOW + DAY + 28L * DAY) }
                    assertEquals("signed prekey", e.what)
                    assertEquals(1L, e.id)
                    assertEquals(1L, bob.prune(NOW + DAY + 28L * DAY))
                    assertFailsWith<QorganException.UnknownPreKey> { bob.accept(first, NOW + DAY + 28L * DAY) }
                }
            }
        }
    }

    @Test
    fun accountErrors() {
        val phone = Device(NOW)
        val bob = Account.create(phone, "phone")
        val v1 = bob.deviceList()
        val v1Head = bob.head()
        val contact = Contact.pin(v1)
        // A label over 64 bytes.
        assertFailsWith<QorganException.InvalidList> { Account.create(phone, "x".repeat(65)) }
        assertFailsWith<QorganException.InvalidList> { bob.removeDevice(Device(NOW).identityKey()) }
        assertFailsWith<QorganException.WrongAccount> {
            contact.update(listOf(Account.create(phone, "phone").deviceList()))
        }
        assertFailsWith<QorganException.InvalidLinkCode> { linkCodeDevice("not a code") }
        val tablet = Device(NOW)
        val request = LinkRequest(tablet)
        val message = bob.provision(request.code(), "tablet", emptyList(), false)
        val tabletAccount = request.complete(message).account
        assertFailsWith<QorganException.ProvisioningFailed> { request.complete(message) }
        assertFailsWith<QorganException.NoAccountKey> { tabletAccount.removeDevice(phone.identityKey()) }
        val v2 = bob.deviceList()
        val v3 = bob.removeDevice(tablet.identityKey())
        assertFailsWith<QorganException.Gap> { contact.update(listOf(v3)) }
        contact.update(listOf(v2, v3))
        assertFailsWith<QorganException.ListRolledBack> { contact.update(listOf(v1)) }
        // A server holding version 1 refuses version 3 as its successor.
        val e = assertFailsWith<QorganException.NotSuccessor> { verifyDeviceListAfter(bob.accountKey(), v1Head, v3) }
        assertEquals(3L, e.version)
        assertEquals(1L, e.previousVersion)
        // Two copies of the account key sign two different versions 4.
        val copy = Account.open(storageKey(9), bob.seal(storageKey(9)), bob.accountKey(), 0L)
        bob.provision(LinkRequest(Device(NOW)).code(), "honest", emptyList(), false)
        copy.provision(LinkRequest(Device(NOW)).code(), "ghost", emptyList(), false)
        contact.update(listOf(bob.deviceList()))
        val fork = assertFailsWith<QorganException.Fork> { contact.update(listOf(copy.deviceList())) }
        assertEquals(4L, fork.held.version)
        assertEquals(4L, fork.seen.version)
        // A message from another account's device, read in Alice's
        // conversation: its envelope names the stranger's account.
        val stranger = Device(NOW)
        val strangerAccount = Account.create(stranger, "stranger")
        val d = fanout(strangerAccount, Contact.pin(v1), listOf(stranger.initiate(phone.bundle())), utf8("hi"))
        val accepted = phone.accept(assertNotNull(d.single().ciphertext), NOW)
        val aliceAccount = Account.create(Device(NOW), "alice")
        val alice = Contact.pin(aliceAccount.deviceList())
        assertFailsWith<QorganException.Misaddressed> {
            receive(bob, alice, accepted.session.remoteIdentity(), accepted.plaintext)
        }
        // The stranger's device claiming Alice's account (an envelope made
        // by hand): it is not in Alice's list.
        val claim = byteArrayOf(0x01, 0x31) + aliceAccount.accountKey() + bob.accountKey() + byteArrayOf(0) + utf8("hi")
        val claimed = phone.accept(stranger.initiate(phone.bundle()).encrypt(claim), NOW)
        assertFailsWith<QorganException.DeviceNotListed> {
            receive(bob, alice, claimed.session.remoteIdentity(), claimed.plaintext)
        }
        // A copy from one of the account's own devices, read in another
        // conversation than the one it was sent in.
        val laptop = Device(NOW)
        val laptopRequest = LinkRequest(laptop)
        val laptopAccount = laptopRequest.complete(bob.provision(laptopRequest.code(), "laptop", emptyList(), false)).account
        val toLaptop = fanout(bob, alice, listOf(phone.initiate(laptop.bundle())), utf8("copy"))
            .single { it.ciphertext != null }
        val received = laptop.accept(toLaptop.ciphertext!!, NOW)
        assertFailsWith<QorganException.Misaddressed> {
            receive(laptopAccount, Contact.pin(strangerAccount.deviceList()), received.session.remoteIdentity(), received.plaintext)
        }
    }
}
