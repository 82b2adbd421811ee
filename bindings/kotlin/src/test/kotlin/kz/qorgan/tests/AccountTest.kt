package kz.qorgan.tests

import kz.qorgan.accept
import kz.qorgan.decrypt
import kz.qorgan.encrypt
import kz.qorgan.envelopeAccounts
import kz.qorgan.fanout
import kz.qorgan.receive
import kz.qorgan.verifyDeviceList
import kz.qorgan.verifyDeviceListAfter
import kz.qorgan.Account
import kz.qorgan.Comparison
import kz.qorgan.Contact
import kz.qorgan.Delivery
import kz.qorgan.Device
import kz.qorgan.ErrorKind
import kz.qorgan.LinkRequest
import kz.qorgan.ListHead
import kz.qorgan.QorganException
import kz.qorgan.linkCodeDevice
import kz.qorgan.safetyNumbersMatch
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** Heads hold a ByteArray: compared by content, not by reference. */
private fun assertSameHead(expected: ListHead, actual: ListHead) {
    assertEquals(expected.version, actual.version)
    assertContentEquals(expected.hash, actual.hash)
}

/** The delivery for [device] in a fan-out's result. */
private fun deliveryTo(deliveries: List<Delivery>, device: Device): Delivery =
    deliveries.single { it.identityKey.contentEquals(device.identityKey()) }

/** What [to] reads of a delivery that starts a session: sender identity and plaintext. */
private fun read(to: Device, delivery: Delivery): Pair<ByteArray, ByteArray> {
    val accepted = to.accept(assertNotNull(delivery.ciphertext, "${delivery.error}"), NOW)
    return Pair(accepted.session.remoteIdentity(), accepted.plaintext)
}

/** Links [device] to [account] by its code; returns the new device's account. */
private fun link(account: Account, device: Device, label: String, shareKey: Boolean = false): Account {
    val request = LinkRequest(device)
    return request.complete(account.provision(request.code(), label, emptyList(), shareKey)).account
}

/** Accounts and devices: linking, contacts, fan-out, refusals, account safety numbers. */
class AccountTest {
    @Test
    fun linkingASecondDeviceByItsCode() {
        val phone = Device(NOW)
        val tablet = Device(NOW)
        val bob = Account.create(phone, "Bob's phone")
        val alice = Account.create(Device(NOW), "Alice")
        val aliceAtBob = Contact.pin(alice.deviceList())

        // The tablet shows its code; the phone scans it and sees who asks.
        val request = LinkRequest(tablet)
        val code = request.code()
        assertEquals(285, code.length)
        assertTrue(code.all { it in 'A'..'Z' || it in '2'..'7' }, "QR alphanumeric mode")
        assertContentEquals(tablet.identityKey(), linkCodeDevice(code))
        val message = bob.provision(code, "Bob's tablet", listOf(aliceAtBob), false)
        assertEquals(2L, bob.head().version)

        // Modified on the way or sent to another request: refused.
        assertFailsWith<QorganException.ProvisioningFailed> { request.complete(flipped(message, -1)) }
        assertFailsWith<QorganException.ProvisioningFailed> { LinkRequest(Device(NOW)).complete(message) }
        val provisioned = request.complete(message)
        val tabletAccount = provisioned.account
        assertTrue(tabletAccount.isListed())
        assertFalse(tabletAccount.holdsAccountKey())
        assertContentEquals(bob.deviceList(), tabletAccount.deviceList())
        assertContentEquals(bob.accountKey(), tabletAccount.accountKey())
        assertEquals(listOf("Bob's phone", "Bob's tablet"), tabletAccount.devices().map { it.label }.sorted())
        assertEquals(1, provisioned.contacts.size)
        assertContentEquals(alice.accountKey(), provisioned.contacts[0].accountKey())
        // Replayed: refused. Without the account key the tablet cannot change the list.
        assertFailsWith<QorganException.ProvisioningFailed> { request.complete(message) }
        assertFailsWith<QorganException.NoAccountKey> { tabletAccount.removeDevice(phone.identityKey()) }
        assertFailsWith<QorganException.InvalidLinkCode> { linkCodeDevice(code.lowercase()) }

        // Sealed by its account key, restored at its generation.
        val key = storageKey(3)
        val sealed = tabletAccount.seal(key)
        val generation = tabletAccount.generation()
        assertEquals(1L, generation)
        Account.open(key, sealed, tabletAccount.accountKey(), generation).use { restored ->
            assertSameHead(bob.head(), restored.head())
        }
        assertFailsWith<QorganException.WrongOwner> { Account.open(key, sealed, alice.accountKey(), 0L) }
        assertFailsWith<QorganException.RolledBack> {
            Account.open(key, sealed, tabletAccount.accountKey(), generation + 1L)
        }
    }

    @Test
    fun aContactNoticesTheNewDeviceAndSendsToBoth() {
        val phone = Device(NOW)
        val tablet = Device(NOW)
        val alicePhone = Device(NOW)
        val bob = Account.create(phone, "phone")
        val alice = Account.create(alicePhone, "Alice")
        val bobAtAlice = Contact.pin(bob.deviceList())
        val tabletAccount = link(bob, tablet, "Bob's tablet")

        val change = bobAtAlice.update(listOf(bob.deviceList()))
        assertEquals(1L, change.before.version)
        assertEquals(2L, change.after.version)
        assertEquals(1, change.added.size)
        assertEquals("Bob's tablet", change.added[0].label)
        assertContentEquals(tablet.identityKey(), change.added[0].identityKey)
        assertTrue(change.removed.isEmpty())
        assertTrue(bobAtAlice.allows(tablet.identityKey()))
        // The same list again: nothing changed.
        val same = bobAtAlice.update(listOf(bob.deviceList()))
        assertSameHead(same.before, same.after)

        // One call encrypts for both of Bob's devices.
        val deliveries = fanout(
            alice, bobAtAlice,
            listOf(alicePhone.initiate(phone.bundle()), alicePhone.initiate(tablet.bundle())),
            utf8("to both"),
        )
        assertEquals(2, deliveries.size)
        assertTrue(deliveries.all { it.error == null })
        val aliceAtBob = Contact.pin(alice.deviceList())
        for ((device, account) in listOf(phone to bob, tablet to tabletAccount)) {
            val (from, plaintext) = read(device, deliveryTo(deliveries, device))
            val accounts = envelopeAccounts(plaintext)
            assertContentEquals(alice.accountKey(), accounts.sender)
            assertContentEquals(bob.accountKey(), accounts.recipient)
            val got = receive(account, aliceAtBob, from, plaintext)
            assertEquals("to both", String(got.body))
            val report = assertNotNull(got.report)
            assertEquals(Comparison.Same, report.sender)
            assertEquals(Comparison.Same, report.peer)
            assertFalse(report.fork)
        }
    }

    @Test
    fun aDeviceTheServerSlippedInIsRefused() {
        val bobPhone = Device(NOW)
        val alicePhone = Device(NOW)
        val ghost = Device(NOW)
        val bob = Account.create(bobPhone, "Bob's phone")
        val alice = Account.create(alicePhone, "Alice's phone")
        val bobAtAlice = Contact.pin(bob.deviceList())
        // The operator cannot list its device under Bob's account key.
        val operator = Account.create(ghost, "Bob's tablet")
        assertFailsWith<QorganException.WrongAccount> { bobAtAlice.update(listOf(operator.deviceList())) }
        assertFailsWith<QorganException.BadSignature> { bobAtAlice.update(listOf(flipped(bob.deviceList(), -70))) }
        assertFalse(bobAtAlice.allows(ghost.identityKey()))

        // Alice's app has a session with the ghost's bundle: it gets nothing.
        val deliveries = fanout(
            alice, bobAtAlice,
            listOf(alicePhone.initiate(bobPhone.bundle()), alicePhone.initiate(ghost.bundle())),
            utf8("orders"),
        )
        assertEquals(2, deliveries.size)
        assertNotNull(deliveryTo(deliveries, bobPhone).ciphertext)
        val toGhost = deliveryTo(deliveries, ghost)
        assertNull(toGhost.ciphertext)
        assertEquals(ErrorKind.NOT_LISTED, toGhost.error?.kind)
        assertEquals("device not in the account's device list: nothing sent", toGhost.error?.message)

        // The ghost writes to Alice from the operator's account: its
        // envelope names that account, not Bob's conversation.
        val fromGhost = fanout(
            operator, Contact.pin(alice.deviceList()), listOf(ghost.initiate(alicePhone.bundle())), utf8("files?"),
        )
        val (from, plaintext) = read(alicePhone, fromGhost.single())
        assertFailsWith<QorganException.Misaddressed> { receive(alice, bobAtAlice, from, plaintext) }
        // The ghost writes as "Bob" (an envelope naming Bob's account, made
        // by hand): refused by the account layer, it is not in Bob's list.
        val envelope = byteArrayOf(0x01, 0x31) + bob.accountKey() + alice.accountKey() + byteArrayOf(0) + utf8("files?")
        val asBob = alicePhone.accept(ghost.initiate(alicePhone.bundle()).encrypt(envelope), NOW)
        assertContentEquals(bob.accountKey(), envelopeAccounts(asBob.plaintext).sender)
        assertFailsWith<QorganException.DeviceNotListed> {
            receive(alice, bobAtAlice, asBob.session.remoteIdentity(), asBob.plaintext)
        }
    }

    @Test
    fun aRolledBackListIsRefused() {
        val phone = Device(NOW)
        val tablet = Device(NOW)
        val bob = Account.create(phone, "phone")
        val v1 = bob.deviceList()
        link(bob, tablet, "tablet")
        val v2 = bob.deviceList()
        val contact = Contact.pin(v1)
        val v3 = bob.removeDevice(tablet.identityKey())
        val gap = assertFailsWith<QorganException.Gap> { contact.update(listOf(v3)) }
        assertEquals(2L, gap.firstMissing)
        assertEquals(3L, gap.offered)
        contact.update(listOf(v2, v3))
        assertFalse(contact.allows(tablet.identityKey()))
        // The operator serves the older lists that still name the removed tablet.
        for ((old, version) in listOf(v2 to 2L, v1 to 1L)) {
            val e = assertFailsWith<QorganException.ListRolledBack> { contact.update(listOf(old)) }
            assertEquals(3L, e.held)
            assertEquals(version, e.offered)
        }
        assertSameHead(bob.head(), contact.head())
        assertFalse(contact.allows(tablet.identityKey()))
        assertEquals(1, contact.devices().size)
    }

    @Test
    fun aForkIsSeenThroughTheHeadsInMessages() {
        val bobPhone = Device(NOW)
        val laptop = Device(NOW)
        val alicePhone = Device(NOW)
        val bob = Account.create(bobPhone, "phone")
        val alice = Account.create(alicePhone, "Alice")
        val laptopAccount = link(bob, laptop, "laptop", shareKey = true)
        val bobAtAlice = Contact.pin(bob.deviceList())
        // Bob removes the stolen laptop; the thief lists a ghost in another version 3.
        bob.removeDevice(laptop.identityKey())
        link(laptopAccount, Device(NOW), "ghost")
        assertEquals(bob.head().version, laptopAccount.head().version)
        bobAtAlice.update(listOf(laptopAccount.deviceList()))
        val fork = assertFailsWith<QorganException.Fork> { bob.update(listOf(laptopAccount.deviceList())) }
        assertSameHead(bob.head(), fork.held)
        assertSameHead(laptopAccount.head(), fork.seen)

        val d = fanout(bob, Contact.pin(alice.deviceList()), listOf(bobPhone.initiate(alicePhone.bundle())), utf8("hi"))
        val (from, plaintext) = read(alicePhone, d.single())
        val report = assertNotNull(receive(alice, bobAtAlice, from, plaintext).report)
        assertTrue(report.fork, "Alice sees the fork")
        val sender = assertIs<Comparison.Fork>(report.sender)
        assertSameHead(laptopAccount.head(), sender.held)
        assertSameHead(bob.head(), sender.seen)
    }

    @Test
    fun accountSafetyNumbersStayWhenDevicesChange() {
        val phone = Device(NOW)
        val bob = Account.create(phone, "phone")
        val alice = Account.create(Device(NOW), "Alice")
        val bobAtAlice = Contact.pin(bob.deviceList())
        val aliceAtBob = Contact.pin(alice.deviceList())
        val before = alice.safetyNumber(utf8("alice"), bobAtAlice, utf8("bob"))
        link(bob, Device(NOW), "tablet")
        bobAtAlice.update(listOf(bob.deviceList()))
        val after = alice.safetyNumber(utf8("alice"), bobAtAlice, utf8("bob"))
        assertEquals(before.display, after.display)
        assertEquals(71, after.display.length)
        val atBob = bob.safetyNumber(utf8("bob"), aliceAtBob, utf8("alice"))
        assertEquals(after.display, atBob.display)
        assertTrue(safetyNumbersMatch(atBob, after.scannable))
        assertFalse(safetyNumbersMatch(alice.safetyNumber(utf8("alice"), bobAtAlice, utf8("eve")), after.scannable))
    }

    @Test
    fun aServerVerifiesListsAndTheirContinuity() {
        val phone = Device(NOW)
        val bob = Account.create(phone, "phone")
        val v1 = bob.deviceList()
        val v1Head = bob.head()
        link(bob, Device(NOW), "tablet")
        val v2 = bob.deviceList()
        val info = verifyDeviceList(v1)
        assertContentEquals(bob.accountKey(), info.accountKey)
        assertEquals(1L, info.version)
        assertNull(info.previous)
        assertContentEquals(phone.identityKey(), info.devices.single().identityKey)
        assertSameHead(v1Head, info.head)
        val key = bob.accountKey()
        val next = verifyDeviceListAfter(key, v1Head, v2)
        assertContentEquals(v1Head.hash, next.previous)
        assertEquals(2, next.devices.size)
        val e = assertFailsWith<QorganException.NotSuccessor> { verifyDeviceListAfter(key, v1Head, v1) }
        assertEquals(1L, e.version)
        assertEquals(1L, e.previousVersion)
        assertFailsWith<QorganException.InvalidArgument> { verifyDeviceListAfter(key.copyOf(31), v1Head, v2) }
        // Another account's list naming the head held for Bob (here
        // Mallory's own first head) is not Bob's next list.
        val mallory = Account.create(Device(NOW), "phone")
        val held = mallory.head()
        link(mallory, Device(NOW), "tablet")
        val malloryV2 = mallory.deviceList()
        assertContentEquals(held.hash, verifyDeviceListAfter(mallory.accountKey(), held, malloryV2).previous)
        assertFailsWith<QorganException.NotSuccessor> { verifyDeviceListAfter(key, held, malloryV2) }
        val bad = assertFailsWith<QorganException.BadSignature> { verifyDeviceList(flipped(v2, -1)) }
        assertEquals("device list", bad.what)
    }

    @Test
    fun closedObjectArgumentsAreRefusedByTheOverloads() {
        val phone = Device(NOW)
        val bob = Account.create(phone, "phone")
        val alicePhone = Device(NOW)
        val alice = Account.create(alicePhone, "Alice")
        val contact = Contact.pin(bob.deviceList())
        val session = alicePhone.initiate(phone.bundle())
        session.close()
        assertFailsWith<IllegalStateException> { fanout(alice, contact, listOf(session), utf8("x")) }
        contact.close()
        assertFailsWith<IllegalStateException> { fanout(alice, contact, emptyList(), utf8("x")) }
        assertFailsWith<IllegalStateException> { receive(alice, contact, phone.identityKey(), utf8("x")) }
        // The objects a call is made on are checked by uniffi itself.
        bob.close()
        assertFailsWith<IllegalStateException> { bob.deviceList() }
    }
}
