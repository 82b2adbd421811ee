package kz.qorgan.tests

import kz.qorgan.verifyPresentation
import kz.qorgan.verifyRevocationList
import kz.qorgan.verifyStatement
import kz.qorgan.Account
import kz.qorgan.Claim
import kz.qorgan.ClaimTag
import kz.qorgan.Device
import kz.qorgan.ErrorKind
import kz.qorgan.IssuerKeyPair
import kz.qorgan.Presentation
import kz.qorgan.QorganException
import kz.qorgan.RevocationList
import kz.qorgan.RevocationStatus
import kz.qorgan.Statement
import kz.qorgan.StatementKind
import kz.qorgan.TrustAnchor
import kz.qorgan.VerifyItem
import kz.qorgan.verifyBatch
import kotlin.test.Test
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue

private const val YEAR: Long = 31_536_000L

private fun claims(name: String) = listOf(Claim(ClaimTag.Unit, "Staff"), Claim(ClaimTag.DisplayName, name))

private fun accountKey(): ByteArray = Account.create(Device(NOW), "phone").accountKey()

/** Organisation certificates: issued, shown as QR text, verified with a label. */
class CertificateTest {
    private val ministry = IssuerKeyPair.generate()
    private val anchors = listOf(TrustAnchor(ministry.publicKey(), "Ministry of Defence"))
    private val colonel = accountKey()
    private val cert = Statement.certifyAccount(ministry, colonel, 7L, NOW - YEAR, NOW + YEAR, claims("Colonel N."))

    @Test
    fun aColleagueVerifiedThroughTheQrTextShowsTheLabel() {
        val info = cert.info()
        assertEquals(StatementKind.ACCOUNT, info.kind)
        assertContentEquals(colonel, info.subject)
        assertEquals(listOf(ClaimTag.DisplayName, ClaimTag.Unit), info.claims.map { it.tag })
        val text = Presentation(listOf(cert)).toText()
        assertTrue(text.startsWith("QG1:"))
        assertTrue(text.all { it in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" }, "QR alphanumeric mode")
        val scanned = Presentation.fromText(text)
        assertEquals(text, scanned.toText())
        assertContentEquals(cert.toBytes(), scanned.statements().single().toBytes())
        val list = RevocationList.issue(ministry, NOW - 10L, NOW + DAY, listOf(3L, 1L))
        assertEquals(listOf(1L, 3L), list.info().serials)
        val verified = scanned.verifyAccount(colonel, anchors, listOf(list), NOW)
        assertEquals("verified by Ministry of Defence", verified.label)
        assertEquals(7L, verified.serial)
        assertEquals(NOW + YEAR, verified.validUntil)
        assertEquals(RevocationStatus.Current, verified.revocation)
        assertEquals("Colonel N.", verified.claims.first { it.tag == ClaimTag.DisplayName }.value)
        // Without a list, or with a stale one: verified, and said so.
        assertEquals(RevocationStatus.Missing, scanned.verify(anchors, emptyList(), NOW).revocation)
        assertEquals(RevocationStatus.Stale(NOW + DAY), scanned.verify(anchors, listOf(list), NOW + 2L * DAY).revocation)
        // Shown for another account: refused.
        assertFailsWith<QorganException.WrongSubject> { scanned.verifyAccount(accountKey(), anchors, emptyList(), NOW) }
    }

    @Test
    fun anAlteredTextIsRefused() {
        val text = Presentation(listOf(cert)).toText()
        // Every single-character change in the body is refused, whatever it breaks.
        for (i in 4 until text.length step 7) {
            val altered = text.substring(0, i) + (if (text[i] == 'A') 'B' else 'A') + text.substring(i + 1)
            assertFailsWith<QorganException> {
                Presentation.fromText(altered).verifyAccount(colonel, anchors, emptyList(), NOW)
            }
        }
        assertFailsWith<QorganException.InvalidText> { Presentation.fromText(text.lowercase()) }
        val prefix = assertFailsWith<QorganException.InvalidText> { Presentation.fromText(text.replaceFirst("QG1:", "QG2:")) }
        assertEquals("missing QG1: prefix", prefix.reason)
    }

    @Test
    fun expiredRevokedAndUnknownIssuersAreRefused() {
        val p = Presentation(listOf(cert))
        val expired = assertFailsWith<QorganException.Expired> { p.verify(anchors, emptyList(), NOW + 2L * YEAR) }
        assertEquals(7L, expired.serial)
        assertEquals(NOW + YEAR, expired.validUntil)
        assertFailsWith<QorganException.NotYetValid> { p.verify(anchors, emptyList(), NOW - 2L * YEAR) }
        val revokes = RevocationList.issue(ministry, NOW - 10L, NOW + 10L, listOf(7L))
        assertTrue(revokes.revokes(7L))
        assertEquals(7L, assertFailsWith<QorganException.Revoked> { p.verify(anchors, listOf(revokes), NOW) }.serial)
        // An impostor's "ministry" with the same name: its key is not trusted.
        val impostor = IssuerKeyPair.generate()
        val fake = Statement.certifyAccount(impostor, colonel, 7L, NOW - YEAR, NOW + YEAR, claims("Colonel N."))
        assertFailsWith<QorganException.UnknownIssuer> { Presentation(listOf(fake)).verify(anchors, emptyList(), NOW) }
        // Edited after signing.
        assertEquals("statement", assertFailsWith<QorganException.BadSignature> { Statement.fromBytes(flipped(cert.toBytes(), -1)) }.what)

        // Intermediate: anchor -> branch key -> account.
        val branch = IssuerKeyPair.generate()
        val inter = Statement.certifyIntermediate(
            ministry, branch.publicKey(), 100L, NOW - YEAR, NOW + YEAR, listOf(Claim(ClaimTag.Organisation, "Staff HQ")),
        )
        val leaf = Statement.certifyAccount(branch, colonel, 1L, NOW - 10L, NOW + 10L, claims("Colonel N."))
        assertEquals("verified by Ministry of Defence", Presentation(listOf(inter, leaf)).verify(anchors, emptyList(), NOW).label)
        assertFailsWith<QorganException.InvalidChain> { Presentation(listOf(leaf, inter)).verify(anchors, emptyList(), NOW) }
        assertFailsWith<QorganException.InvalidChain> { Presentation(emptyList()) }
        val invalid = assertFailsWith<QorganException.InvalidStatement> {
            Statement.certifyAccount(ministry, colonel, 8L, NOW, NOW + 1L, emptyList())
        }
        assertEquals("account certificate without a display name", invalid.reason)
        assertFailsWith<QorganException.InvalidStatement> {
            Statement.issue(ministry, StatementKind.STATEMENT, ByteArray(32), 9L, NOW, NOW + 1L, listOf(Claim(ClaimTag.Custom(7L), "reserved")))
        }
        val doc = Statement.issue(
            ministry, StatementKind.STATEMENT, ByteArray(32) { 9 }, 9L, NOW, NOW + 1L, listOf(Claim(ClaimTag.Custom(200L), "badge 3")),
        )
        assertEquals(ClaimTag.Custom(200L), doc.info().claims.single().tag)
        // The seed leaves the handle only when asked for.
        assertContentEquals(ministry.publicKey(), IssuerKeyPair.fromSeed(ministry.toSeed()).publicKey())
    }

    @Test
    fun aServerVerifiesStatementsListsAndPresentationsInABatch() {
        val list = RevocationList.issue(ministry, NOW - 10L, NOW + 10L, listOf(99L))
        val revoking = RevocationList.issue(ministry, NOW - 10L, NOW + 10L, listOf(7L))
        assertContentEquals(colonel, verifyStatement(cert.toBytes()).subject)
        assertEquals(listOf(99L), verifyRevocationList(list.toBytes()).serials)
        val presentation = Presentation.fromText(Presentation(listOf(cert)).toText()).toBytes()
        assertEquals(
            "verified by Ministry of Defence",
            verifyPresentation(presentation, anchors, listOf(list.toBytes()), NOW).label,
        )
        assertFailsWith<QorganException.BadSignature> { verifyRevocationList(flipped(list.toBytes(), -1)) }

        fun item(lists: List<ByteArray>, now: Long) = VerifyItem.Presentation(presentation, anchors, lists, now)
        val results = verifyBatch(
            listOf(
                VerifyItem.Statement(cert.toBytes()),
                VerifyItem.Statement(flipped(cert.toBytes(), -1)),
                VerifyItem.RevocationList(list.toBytes()),
                item(listOf(list.toBytes()), NOW),
                item(listOf(list.toBytes()), NOW + 2L * YEAR),
                item(listOf(revoking.toBytes()), NOW),
                item(listOf(flipped(list.toBytes(), -1)), NOW),
                VerifyItem.Presentation(presentation, emptyList(), emptyList(), NOW),
            ),
        )
        assertEquals(
            listOf(
                null, ErrorKind.BAD_SIGNATURE, null, null, ErrorKind.EXPIRED, ErrorKind.REVOKED,
                ErrorKind.BAD_SIGNATURE, ErrorKind.UNKNOWN_ISSUER,
            ),
            results.map { it.error?.kind },
        )
        assertEquals("statement 7 is revoked", results[5].error?.message)
    }
}
