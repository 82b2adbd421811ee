package kz.qorgan.tests

import kz.qorgan.accept
import kz.qorgan.decrypt
import kz.qorgan.decryptInRoster
import kz.qorgan.encrypt
import kz.qorgan.verifyRoster
import kz.qorgan.verifyRosterAfter
import kz.qorgan.Account
import kz.qorgan.Contact
import kz.qorgan.Device
import kz.qorgan.ErrorKind
import kz.qorgan.FanoutResult
import kz.qorgan.GroupPolicy
import kz.qorgan.GroupReceiver
import kz.qorgan.LinkRequest
import kz.qorgan.QorganException
import kz.qorgan.Roster
import kz.qorgan.RosterHead
import kz.qorgan.RosterMember
import kz.qorgan.RosterRole
import kz.qorgan.RotationReason
import kz.qorgan.Session
import kz.qorgan.VerifyItem
import kz.qorgan.verifyBatch
import java.security.KeyPairGenerator
import java.security.Signature
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** A person with one device and its account. */
private class Person(label: String) {
    val device = Device(NOW)
    val account = Account.create(device, label)
    fun key(): ByteArray = account.accountKey()
    fun contact(): Contact = Contact.pin(account.deviceList())
    fun member(role: RosterRole) = RosterMember(key(), role)
}

/** Heads hold a ByteArray: compared by content. */
private fun assertSameHead(expected: RosterHead, actual: RosterHead?) {
    assertNotNull(actual)
    assertEquals(expected.epoch, actual.epoch)
    assertContentEquals(expected.hash, actual.hash)
}

private fun ciphertext(r: FanoutResult): ByteArray = assertNotNull(r.ciphertext, "${r.error}")

/**
 * [template]'s bytes re-signed by a fresh Ed25519 key of the JDK's that is
 * no admin (the operator's own key): well formed and well signed.
 */
private fun forged(template: ByteArray): ByteArray {
    val pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair()
    // X.509 SubjectPublicKeyInfo: a 12-byte header, then the raw key.
    val raw = pair.public.encoded.copyOfRange(12, 44)
    val body = template.copyOfRange(0, template.size - 64)
    raw.copyInto(body, body.size - 32)
    val signer = Signature.getInstance("Ed25519")
    signer.initSign(pair.private)
    signer.update(utf8("qorgan/v1/roster"))
    signer.update(body)
    return body + signer.sign()
}

/** Group rosters: membership signed by admins, bound to every sender-key chain. */
class RosterTest {
    private val policy = GroupPolicy(maxMessages = 1000L, maxAgeSecs = 7L * DAY)
    private val group = utf8("ministry-ops")

    @Test
    fun aRemovalForcesARotationAndOnlyMembersDevicesGetTheChain() {
        val alice = Person("Alice")
        val bob = Person("Bob")
        val carol = Person("Carol")
        val mallory = Person("operator's listener")
        val created = Roster.create(
            alice.account, group,
            listOf(alice.member(RosterRole.ADMIN), bob.member(RosterRole.MEMBER), carol.member(RosterRole.MEMBER)),
        )
        assertEquals(1L, created.epoch())
        assertNull(created.previous())
        assertContentEquals(alice.key(), created.signer())
        assertEquals(RosterRole.ADMIN, created.roleOf(alice.key()))
        assertNull(created.roleOf(mallory.key()))
        // As every device gets it: bytes, verified.
        val r1 = Roster.fromBytes(created.toBytes())

        val out = alice.device.createGroupInRoster(r1, alice.account, policy, NOW)
        assertSameHead(r1.head(), out.roster())
        val sessions = listOf(bob, carol, mallory).map { alice.device.initiate(it.device.bundle()) }
        val contacts = listOf(bob.contact(), carol.contact(), mallory.contact())
        val results = out.distributeInRoster(r1, alice.account, contacts, sessions)
        assertEquals(3, results.size)
        // The operator's listener: nothing encrypted for it.
        assertNull(results[2].ciphertext)
        assertEquals(ErrorKind.NOT_IN_ROSTER, results[2].error?.kind)
        assertEquals("device not of a roster member: nothing sent", results[2].error?.message)
        assertFailsWith<QorganException.RosterMismatch> { out.distribute(sessions) }

        val aliceAtBob = alice.contact()
        val bobFirst = bob.device.accept(ciphertext(results[0]), NOW)
        val fromAlice = bobFirst.session.remoteIdentity()
        // The plain receiver refuses a rostered chain.
        assertFailsWith<QorganException.RosterMismatch> { GroupReceiver(bobFirst.plaintext, fromAlice) }
        val bobRx = GroupReceiver.newInRoster(bobFirst.plaintext, fromAlice, r1, bob.account, aliceAtBob)
        val carolFirst = carol.device.accept(ciphertext(results[1]), NOW)
        val carolRx = GroupReceiver.newInRoster(
            carolFirst.plaintext, carolFirst.session.remoteIdentity(), r1, carol.account, alice.contact(),
        )
        val m1 = out.encrypt(utf8("orders"))
        for ((rx, person) in listOf(bobRx to bob, carolRx to carol)) {
            val read = rx.decryptInRoster(m1, r1, person.account, alice.contact())
            assertEquals("orders", String(read.plaintext))
            assertSameHead(r1.head(), read.roster)
        }
        // The plain call refuses a rostered chain: the roster check cannot be skipped.
        assertFailsWith<QorganException.RosterMismatch> { bobRx.decrypt(m1) }
        // Carol's own chain, which Bob holds; her message is sent before her removal.
        val carolOut = carol.device.createGroupInRoster(r1, carol.account, policy, NOW)
        val toBob = carolOut.distributeInRoster(r1, carol.account, listOf(bob.contact()), listOf(carol.device.initiate(bob.device.bundle())))
        val fromCarol = bob.device.accept(ciphertext(toBob[0]), NOW)
        val carolAtBob = carol.contact()
        val bobFromCarol = GroupReceiver.newInRoster(fromCarol.plaintext, fromCarol.session.remoteIdentity(), r1, bob.account, carolAtBob)
        val carolLate = carolOut.encrypt(utf8("Carol, before her removal"))
        val aliceLate = out.encrypt(utf8("Alice, before the removal"))

        // Alice removes Carol (epoch 2); devices advance to it.
        val r2 = r1.withoutMember(alice.account, carol.key())
        val update = r1.advance(listOf(r2.toBytes()))
        assertSameHead(r2.head(), update.roster.head())
        assertSameHead(r1.head(), update.change.before)
        assertSameHead(r2.head(), update.change.after)
        assertEquals(1, update.change.removed.size)
        assertContentEquals(carol.key(), update.change.removed[0])
        assertTrue(update.change.added.isEmpty())
        val oldAnnouncement = out.announcement()

        out.applyRoster(update.change)
        assertEquals(RotationReason.MEMBER_REMOVED, out.rotationDue(NOW))
        val refused = assertFailsWith<QorganException.RotationRequired> { out.encrypt(utf8("too early")) }
        assertEquals("a member was removed", refused.reason)
        // The old chain is stale under the new roster: refused as a whole.
        val stale = assertFailsWith<QorganException.StaleChain> {
            out.distributeInRoster(update.roster, alice.account, contacts, sessions)
        }
        assertEquals(2L, stale.held)
        assertEquals(1L, stale.announced)
        out.rotate(NOW)
        assertSameHead(r2.head(), out.roster())
        val again = out.distributeInRoster(update.roster, alice.account, contacts, sessions)
        assertNull(again[0].error)
        assertEquals(ErrorKind.NOT_IN_ROSTER, again[1].error?.kind)
        assertEquals(ErrorKind.NOT_IN_ROSTER, again[2].error?.kind)

        // Bob, still at epoch 1, is told to fetch rosters; then he takes it.
        val dist = bobFirst.session.decrypt(ciphertext(again[0]))
        val behind = assertFailsWith<QorganException.RosterBehind> {
            bobRx.addInRoster(dist, fromAlice, r1, bob.account, aliceAtBob)
        }
        assertEquals(1L, behind.held)
        assertEquals(2L, behind.announced)
        val bobsRoster = r1.advance(listOf(r2.toBytes())).roster
        bobRx.addInRoster(dist, fromAlice, bobsRoster, bob.account, aliceAtBob)
        // A chain announced under the older roster: the sender must rotate.
        assertFailsWith<QorganException.StaleChain> { bobsRoster.admit(oldAnnouncement, bob.account, aliceAtBob) }
        // Carol, removed, may not take an epoch-2 chain, and cannot read it.
        assertFailsWith<QorganException.NotMember> {
            bobsRoster.admit(out.announcement(), carol.account, alice.contact())
        }
        val m2 = out.encrypt(utf8("Carol's access is revoked"))
        val read = bobRx.decryptInRoster(m2, bobsRoster, bob.account, aliceAtBob)
        assertEquals("Carol's access is revoked", String(read.plaintext))
        assertEquals(1L, read.rotation)
        assertSameHead(r2.head(), read.roster)
        assertFailsWith<QorganException.WrongChain> { carolRx.decryptInRoster(m2, r1, carol.account, alice.contact()) }
        // Sent before the change, delivered after: Alice's still reads; Carol,
        // removed, keeps her old chain key but her messages are refused.
        assertSameHead(r1.head(), bobRx.decryptInRoster(aliceLate, bobsRoster, bob.account, aliceAtBob).roster)
        assertFailsWith<QorganException.SenderNotMember> {
            bobFromCarol.decryptInRoster(carolLate, bobsRoster, bob.account, carolAtBob)
        }
        val batch = bobFromCarol.decryptBatchInRoster(listOf(carolLate), bobsRoster, bob.account, carolAtBob)
        assertEquals(ErrorKind.SENDER_NOT_MEMBER, batch.single().error?.kind)

        // Adding a member (no removal) forces a rotation too.
        val dana = Person("Dana")
        val r3 = bobsRoster.withMember(alice.account, dana.key(), RosterRole.MEMBER)
        out.applyRoster(bobsRoster.advance(listOf(r3.toBytes())).change)
        assertEquals(RotationReason.ROSTER_CHANGED, out.rotationDue(NOW))
        assertFailsWith<QorganException.RotationRequired> { out.encrypt(utf8("x")) }
    }

    @Test
    fun admitRefusesNonMembersOtherGroupsAndChainsWithoutARoster() {
        val alice = Person("Alice")
        val bob = Person("Bob")
        val outsider = Person("outsider")
        val r1 = Roster.create(alice.account, group, listOf(alice.member(RosterRole.ADMIN), bob.member(RosterRole.MEMBER)))
        val out = bob.device.createGroupInRoster(r1, bob.account, policy, NOW)
        val announcement = out.announcement()
        r1.admit(announcement, alice.account, bob.contact())
        // Another device of Bob's own account takes it against Bob's own list.
        r1.admit(announcement, bob.account, null)
        val own = GroupReceiver.newInRoster(out.distribution(), bob.device.identityKey(), r1, bob.account, null)
        assertEquals("hi", String(own.decryptInRoster(out.encrypt(utf8("hi")), r1, bob.account, null).plaintext))
        // Its export, on a third device of Bob's: only through the roster.
        assertFailsWith<QorganException.RosterMismatch> { GroupReceiver.fromExport(own.export()) }
        GroupReceiver.fromExportInRoster(own.export(), r1, bob.account, null)
        assertFailsWith<QorganException.NotMember> { GroupReceiver.fromExportInRoster(own.export(), r1, outsider.account, bob.contact()) }
        // Alice checking Bob's chain against her own list: not a member's device.
        assertFailsWith<QorganException.SenderNotMember> { r1.admit(announcement, alice.account, null) }
        assertFailsWith<QorganException.NotMember> { r1.admit(announcement, outsider.account, bob.contact()) }
        assertFailsWith<QorganException.NotMember> { outsider.device.createGroupInRoster(r1, outsider.account, policy, NOW) }
        val other = Roster.create(alice.account, utf8("other"), listOf(alice.member(RosterRole.ADMIN)))
        assertFailsWith<QorganException.WrongGroup> { other.admit(announcement, alice.account, bob.contact()) }
        val plain = bob.device.createGroup(group, policy, NOW)
        assertFailsWith<QorganException.RosterMismatch> { r1.admit(plain.announcement(), alice.account, bob.contact()) }
        assertFailsWith<QorganException.RosterMismatch> { plain.applyRoster(r1.advance(listOf(r1.toBytes())).change) }
        assertFailsWith<QorganException.Malformed> { r1.admit(utf8("junk"), alice.account, bob.contact()) }
    }

    @Test
    fun rosterChainRefusalsAreTyped() {
        val alice = Person("Alice")
        val bob = Person("Bob")
        val dana = Person("Dana")
        val r1 = Roster.create(alice.account, group, listOf(alice.member(RosterRole.ADMIN), bob.member(RosterRole.ADMIN)))
        assertFailsWith<QorganException.NotAdmin> {
            Roster.create(alice.account, group, listOf(alice.member(RosterRole.MEMBER), bob.member(RosterRole.ADMIN)))
        }
        assertFailsWith<QorganException.NotAdmin> { r1.withMember(dana.account, dana.key(), RosterRole.ADMIN) }
        val invalid = assertFailsWith<QorganException.InvalidRoster> { r1.withoutMember(alice.account, dana.key()) }
        assertEquals("account not a member", invalid.reason)
        assertFailsWith<QorganException.InvalidArgument> { r1.withMember(alice.account, ByteArray(31), RosterRole.MEMBER) }
        // A device linked without the account key cannot sign rosters.
        val tablet = Device(NOW)
        val request = LinkRequest(tablet)
        val tabletAccount = request.complete(alice.account.provision(request.code(), "tablet", emptyList(), false)).account
        assertFailsWith<QorganException.NoAccountKey> { r1.withMember(tabletAccount, dana.key(), RosterRole.MEMBER) }

        // Two admins change the group at once: a fork.
        val r2 = r1.withMember(alice.account, dana.key(), RosterRole.MEMBER)
        val r2Fork = r1.withoutMember(bob.account, alice.key())
        val held = r1.advance(listOf(r2.toBytes())).roster
        val fork = assertFailsWith<QorganException.RosterFork> { held.advance(listOf(r2Fork.toBytes())) }
        assertSameHead(r2.head(), fork.held)
        assertEquals(2L, fork.seen.epoch)
        // Rolled back, a gap, then the whole chain.
        val rolledBack = assertFailsWith<QorganException.RosterRolledBack> { held.advance(listOf(r1.toBytes())) }
        assertEquals(2L, rolledBack.held)
        assertEquals(1L, rolledBack.offered)
        val r3 = r2.withoutMember(alice.account, dana.key())
        val r4 = r3.withMember(alice.account, dana.key(), RosterRole.MEMBER)
        val gap = assertFailsWith<QorganException.RosterGap> { held.advance(listOf(r4.toBytes())) }
        assertEquals(3L, gap.firstMissing)
        assertEquals(4L, gap.offered)
        assertEquals(4L, held.advance(listOf(r3.toBytes(), r4.toBytes())).roster.epoch())
        assertSameHead(r4.head(), Roster.fromHistory(listOf(r1, r2, r3, r4).map { it.toBytes() }, r2.head()).head())

        // The operator signs a next roster with a key of its own: refused.
        val forgery = forged(r2.toBytes())
        assertEquals(2L, Roster.fromBytes(forgery).epoch()) // well formed, well signed
        assertFailsWith<QorganException.SignerNotAdmin> { r1.advance(listOf(forgery)) }
        assertFailsWith<QorganException.SignerNotAdmin> { verifyRosterAfter(r1.toBytes(), forgery) }
        // An edited roster: its signature breaks.
        val edited = assertFailsWith<QorganException.BadSignature> { Roster.fromBytes(flipped(r2.toBytes(), -64 - 32 - 1)) }
        assertEquals("group roster", edited.what)
    }

    @Test
    fun aServerVerifiesRostersOneByOneAndInABatch() {
        val alice = Person("Alice")
        val bob = Person("Bob")
        val r1 = Roster.create(alice.account, group, listOf(alice.member(RosterRole.ADMIN)))
        val r2 = r1.withMember(alice.account, bob.key(), RosterRole.MEMBER)
        val info = verifyRoster(r1.toBytes())
        assertEquals(1L, info.epoch)
        assertContentEquals(group, info.groupId)
        assertContentEquals(alice.key(), info.signer)
        assertNull(info.previous)
        assertSameHead(r1.head(), info.head)
        val after = verifyRosterAfter(r1.toBytes(), r2.toBytes())
        assertEquals(2, after.members.size)
        assertContentEquals(r1.head().hash, after.previous)
        val notNext = assertFailsWith<QorganException.RosterNotSuccessor> { verifyRosterAfter(r2.toBytes(), r1.toBytes()) }
        assertEquals(1L, notNext.epoch)
        assertEquals(2L, notNext.previousEpoch)
        assertFailsWith<QorganException.InvalidArgument> { verifyRosterAfter(utf8("junk"), r2.toBytes()) }
        assertFailsWith<QorganException.BadSignature> { verifyRoster(flipped(r1.toBytes(), -1)) }

        val results = verifyBatch(
            listOf(
                VerifyItem.Roster(r1.toBytes()),
                VerifyItem.Roster(flipped(r1.toBytes(), -1)),
                VerifyItem.RosterAfter(r1.toBytes(), r2.toBytes()),
                VerifyItem.RosterAfter(r2.toBytes(), r1.toBytes()),
                VerifyItem.RosterAfter(utf8("junk"), r2.toBytes()),
            ),
        )
        assertEquals(listOf(true, false, true, false, false), results.map { it.valid })
        assertEquals(
            listOf(null, ErrorKind.BAD_SIGNATURE, null, ErrorKind.ROSTER_NOT_SUCCESSOR, ErrorKind.INVALID_ARGUMENT),
            results.map { it.error?.kind },
        )
    }
}
