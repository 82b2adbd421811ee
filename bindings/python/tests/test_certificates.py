"""Organisation certificates: issued, shown as QR text, verified with a label."""

from __future__ import annotations

from typing import List, Tuple

import pytest

from conftest import DAY, NOW
from qorgan import (Account, Claim, ClaimTag, Device, ErrorKind, IssuerKeyPair, Presentation,
                    QorganError, RevocationList, RevocationStatus, Statement, StatementKind,
                    TrustAnchor, VerifyItem)
import qorgan

YEAR = 365 * DAY
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")

# The issuer, the certified account key, its certificate, the trusted anchors.
Ministry = Tuple[IssuerKeyPair, bytes, Statement, List[TrustAnchor]]


def claims(name: str) -> list[Claim]:
    return [Claim(tag=ClaimTag.UNIT(), value="Staff"),
            Claim(tag=ClaimTag.DISPLAY_NAME(), value=name)]


def account_key() -> bytes:
    return Account.create(Device(NOW), "phone").account_key()


@pytest.fixture
def ministry() -> Ministry:
    issuer = IssuerKeyPair.generate()
    colonel = account_key()
    cert = Statement.certify_account(issuer, colonel, 7, NOW - YEAR, NOW + YEAR,
                                     claims("Colonel N."))
    anchors = [TrustAnchor(key=issuer.public_key(), organisation="Ministry of Defence")]
    return issuer, colonel, cert, anchors


def test_a_colleague_verified_through_the_qr_text_shows_the_label(ministry: Ministry) -> None:
    issuer, colonel, cert, anchors = ministry
    info = cert.info()
    assert info.kind == StatementKind.ACCOUNT and info.subject == colonel
    assert info.issuer == issuer.public_key()
    assert [c.tag for c in info.claims] == [ClaimTag.DISPLAY_NAME(), ClaimTag.UNIT()]
    text = Presentation([cert]).to_text()
    assert text.startswith("QG1:") and set(text) <= QR_ALPHANUMERIC
    scanned = Presentation.from_text(text)
    assert scanned.to_text() == text
    [statement] = scanned.statements()
    assert statement.to_bytes() == cert.to_bytes()
    crl = RevocationList.issue(issuer, NOW - 10, NOW + DAY, [3, 1])
    assert crl.info().serials == [1, 3]
    verified = scanned.verify_account(colonel, anchors, [crl], NOW)
    assert verified.label == "verified by Ministry of Defence"
    assert verified.organisation == "Ministry of Defence"
    assert (verified.serial, verified.valid_until) == (7, NOW + YEAR)
    assert verified.revocation == RevocationStatus.CURRENT()
    assert verified.claims[0].value == "Colonel N."
    # Without a list, or with a stale one: verified, and said so.
    assert scanned.verify(anchors, [], NOW).revocation == RevocationStatus.MISSING()
    stale = scanned.verify(anchors, [crl], NOW + 2 * DAY).revocation
    assert stale == RevocationStatus.STALE(next_update=NOW + DAY)
    # Shown for another account: refused.
    with pytest.raises(QorganError.WrongSubject):
        scanned.verify_account(account_key(), anchors, [], NOW)


def test_an_altered_text_is_refused(ministry: Ministry) -> None:
    _, colonel, cert, anchors = ministry
    text = Presentation([cert]).to_text()
    for i in range(4, len(text), 7):
        altered = text[:i] + ("B" if text[i] == "A" else "A") + text[i + 1:]
        with pytest.raises(QorganError):
            Presentation.from_text(altered).verify_account(colonel, anchors, [], NOW)
    with pytest.raises(QorganError.InvalidText):
        Presentation.from_text(text.lower())
    with pytest.raises(QorganError.InvalidText) as e:
        Presentation.from_text(text.replace("QG1:", "QG2:", 1))
    assert e.value.reason == "missing QG1: prefix"


def test_expired_revoked_and_unknown_issuers_are_refused(ministry: Ministry) -> None:
    issuer, colonel, cert, anchors = ministry
    p = Presentation([cert])
    with pytest.raises(QorganError.Expired) as expired:
        p.verify(anchors, [], NOW + 2 * YEAR)
    assert (expired.value.serial, expired.value.valid_until) == (7, NOW + YEAR)
    with pytest.raises(QorganError.NotYetValid):
        p.verify(anchors, [], NOW - 2 * YEAR)
    revoking = RevocationList.issue(issuer, NOW - 10, NOW + 10, [7])
    assert revoking.revokes(7) and not revoking.is_stale(NOW)
    with pytest.raises(QorganError.Revoked) as revoked:
        p.verify(anchors, [revoking], NOW)
    assert revoked.value.serial == 7
    # An impostor's "ministry" with the same name: its key is not trusted.
    impostor = IssuerKeyPair.generate()
    fake = Statement.certify_account(impostor, colonel, 7, NOW - YEAR, NOW + YEAR,
                                     claims("Colonel N."))
    with pytest.raises(QorganError.UnknownIssuer):
        Presentation([fake]).verify(anchors, [], NOW)
    edited = bytearray(cert.to_bytes())
    edited[-1] ^= 1
    with pytest.raises(QorganError.BadSignature) as bad:
        Statement.from_bytes(bytes(edited))
    assert bad.value.what == "statement"

    # Intermediate: anchor -> branch key -> account.
    branch = IssuerKeyPair.generate()
    inter = Statement.certify_intermediate(
        issuer, branch.public_key(), 100, NOW - YEAR, NOW + YEAR,
        [Claim(tag=ClaimTag.ORGANISATION(), value="Staff HQ")])
    leaf = Statement.certify_account(branch, colonel, 1, NOW - 10, NOW + 10, claims("Colonel N."))
    assert Presentation([inter, leaf]).verify(anchors, [], NOW).label == \
        "verified by Ministry of Defence"
    with pytest.raises(QorganError.InvalidChain):
        Presentation([leaf, inter]).verify(anchors, [], NOW)
    with pytest.raises(QorganError.InvalidChain):
        Presentation([])
    with pytest.raises(QorganError.InvalidStatement) as e:
        Statement.certify_account(issuer, colonel, 8, NOW, NOW + 1, [])
    assert e.value.reason == "account certificate without a display name"
    with pytest.raises(QorganError.InvalidStatement):
        Statement.issue(issuer, StatementKind.STATEMENT, bytes(32), 9, NOW, NOW + 1,
                        [Claim(tag=ClaimTag.CUSTOM(number=7), value="reserved")])
    doc = Statement.issue(issuer, StatementKind.STATEMENT, bytes([9]) * 32, 9, NOW, NOW + 1,
                          [Claim(tag=ClaimTag.CUSTOM(number=200), value="badge 3")])
    assert doc.info().claims[0].tag == ClaimTag.CUSTOM(number=200)
    with pytest.raises(QorganError.InvalidArgument):
        p.verify([TrustAnchor(key=bytes(31), organisation="x")], [], NOW)
    # The seed leaves the handle only when asked for.
    assert IssuerKeyPair.from_seed(issuer.to_seed()).public_key() == issuer.public_key()


def test_a_server_verifies_statements_lists_and_presentations_in_a_batch(ministry: Ministry) -> None:
    issuer, colonel, cert, anchors = ministry
    crl = RevocationList.issue(issuer, NOW - 10, NOW + 10, [99])
    revoking = RevocationList.issue(issuer, NOW - 10, NOW + 10, [7])
    assert qorgan.verify_statement(cert.to_bytes()) == cert.info()
    assert qorgan.verify_revocation_list(crl.to_bytes()) == crl.info()
    presentation = Presentation.from_text(Presentation([cert]).to_text()).to_bytes()
    verified = qorgan.verify_presentation(presentation, anchors, [crl.to_bytes()], NOW)
    assert verified.label == "verified by Ministry of Defence"
    bad_crl = crl.to_bytes()[:-1] + bytes([crl.to_bytes()[-1] ^ 1])
    with pytest.raises(QorganError.BadSignature):
        qorgan.verify_revocation_list(bad_crl)
    bad_cert = cert.to_bytes()[:-1] + bytes([cert.to_bytes()[-1] ^ 1])

    def item(lists: list[bytes], now: int) -> VerifyItem:
        return VerifyItem.PRESENTATION(presentation=presentation, anchors=anchors,
                                       revocations=lists, now=now)

    results = qorgan.verify_batch([
        VerifyItem.STATEMENT(bytes=cert.to_bytes()),
        VerifyItem.STATEMENT(bytes=bad_cert),
        VerifyItem.REVOCATION_LIST(bytes=crl.to_bytes()),
        item([crl.to_bytes()], NOW),
        item([crl.to_bytes()], NOW + 2 * YEAR),
        item([revoking.to_bytes()], NOW),
        item([bad_crl], NOW),
        VerifyItem.PRESENTATION(presentation=presentation, anchors=[], revocations=[], now=NOW),
    ])
    assert [r.error and r.error.kind for r in results] == [
        None, ErrorKind.BAD_SIGNATURE, None, None, ErrorKind.EXPIRED, ErrorKind.REVOKED,
        ErrorKind.BAD_SIGNATURE, ErrorKind.UNKNOWN_ISSUER]
    revoked = results[5].error
    assert revoked is not None and revoked.message == "statement 7 is revoked"
