import Foundation
import XCTest
@testable import Qorgan

private let YEAR: Int64 = 365 * 86_400

private func claims(_ name: String) -> [Claim] {
    [Claim(tag: .unit, value: "Staff"), Claim(tag: .displayName, value: name)]
}

private func accountKey() throws -> Data {
    try Account.create(device: Device(now: NOW), label: "phone").accountKey()
}

/// Organisation certificates: issued, shown as QR text, verified with a label.
final class CertificateTests: XCTestCase {
    private var ministry: IssuerKeyPair!
    private var anchors: [TrustAnchor] = []
    private var colonel = Data()
    private var cert: Statement!

    override func setUpWithError() throws {
        ministry = try IssuerKeyPair.generate()
        anchors = [TrustAnchor(key: ministry.publicKey(), organisation: "Ministry of Defence")]
        colonel = try accountKey()
        cert = try Statement.certifyAccount(
            issuer: ministry, accountKey: colonel, serial: 7, validFrom: NOW - YEAR, validUntil: NOW + YEAR,
            claims: claims("Colonel N."))
    }

    func testAColleagueVerifiedThroughTheQrTextShowsTheLabel() throws {
        let info = cert.info()
        XCTAssertEqual(info.kind, .account)
        XCTAssertEqual(info.subject, colonel)
        XCTAssertEqual(info.claims.map { $0.tag }, [.displayName, .unit])
        let text = try Presentation(statements: [cert]).toText()
        XCTAssertTrue(text.hasPrefix("QG1:"))
        XCTAssertTrue(text.allSatisfy { "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains($0) })
        let scanned = try Presentation.fromText(text: text)
        XCTAssertEqual(scanned.toText(), text)
        XCTAssertEqual(scanned.statements().map { $0.toBytes() }, [cert.toBytes()])
        let list = try RevocationList.issue(issuer: ministry, issuedAt: NOW - 10, nextUpdate: NOW + DAY, serials: [3, 1])
        XCTAssertEqual(list.info().serials, [1, 3])
        let verified = try scanned.verifyAccount(accountKey: colonel, anchors: anchors, revocations: [list], now: NOW)
        XCTAssertEqual(verified.label, "verified by Ministry of Defence")
        XCTAssertEqual(verified.serial, 7)
        XCTAssertEqual(verified.validUntil, NOW + YEAR)
        XCTAssertEqual(verified.revocation, .current)
        XCTAssertEqual(verified.claims.first { $0.tag == .displayName }?.value, "Colonel N.")
        // Without a list, or with a stale one: verified, and said so.
        XCTAssertEqual(try scanned.verify(anchors: anchors, revocations: [], now: NOW).revocation, .missing)
        XCTAssertEqual(
            try scanned.verify(anchors: anchors, revocations: [list], now: NOW + 2 * DAY).revocation,
            .stale(nextUpdate: NOW + DAY))
        assertThrows(.wrongSubject, try scanned.verifyAccount(accountKey: accountKey(), anchors: anchors, revocations: [], now: NOW))
    }

    func testAnAlteredTextIsRefused() throws {
        let text = Array(try Presentation(statements: [cert]).toText())
        for i in stride(from: 4, to: text.count, by: 7) {
            var altered = text
            altered[i] = text[i] == "A" ? "B" : "A"
            XCTAssertThrowsError(
                try Presentation.fromText(text: String(altered)).verifyAccount(
                    accountKey: colonel, anchors: anchors, revocations: [], now: NOW))
        }
        assertThrows(.invalidText, try Presentation.fromText(text: String(text).lowercased()))
        if case .InvalidText(let reason)? = assertThrows(
            .invalidText, try Presentation.fromText(text: "QG2:" + String(text.dropFirst(4)))) {
            XCTAssertEqual(reason, "missing QG1: prefix")
        }
    }

    func testExpiredRevokedAndUnknownIssuersAreRefused() throws {
        let p = try Presentation(statements: [cert])
        if case .Expired(let serial, let validUntil)? = assertThrows(
            .expired, try p.verify(anchors: anchors, revocations: [], now: NOW + 2 * YEAR)) {
            XCTAssertEqual(serial, 7)
            XCTAssertEqual(validUntil, NOW + YEAR)
        }
        assertThrows(.notYetValid, try p.verify(anchors: anchors, revocations: [], now: NOW - 2 * YEAR))
        let revoking = try RevocationList.issue(issuer: ministry, issuedAt: NOW - 10, nextUpdate: NOW + 10, serials: [7])
        XCTAssertTrue(revoking.revokes(serial: 7))
        if case .Revoked(let serial)? = assertThrows(.revoked, try p.verify(anchors: anchors, revocations: [revoking], now: NOW)) {
            XCTAssertEqual(serial, 7)
        }
        // An impostor's "ministry" with the same name: its key is not trusted.
        let impostor = try IssuerKeyPair.generate()
        let fake = try Statement.certifyAccount(
            issuer: impostor, accountKey: colonel, serial: 7, validFrom: NOW - YEAR, validUntil: NOW + YEAR, claims: claims("Colonel N."))
        assertThrows(.unknownIssuer, try Presentation(statements: [fake]).verify(anchors: anchors, revocations: [], now: NOW))
        if case .BadSignature(let what)? = assertThrows(.badSignature, try Statement.fromBytes(bytes: flipped(cert.toBytes(), -1))) {
            XCTAssertEqual(what, "statement")
        }

        // Intermediate: anchor -> branch key -> account.
        let branch = try IssuerKeyPair.generate()
        let inter = try Statement.certifyIntermediate(
            anchor: ministry, intermediateKey: branch.publicKey(), serial: 100, validFrom: NOW - YEAR, validUntil: NOW + YEAR,
            claims: [Claim(tag: .organisation, value: "Staff HQ")])
        let leaf = try Statement.certifyAccount(
            issuer: branch, accountKey: colonel, serial: 1, validFrom: NOW - 10, validUntil: NOW + 10, claims: claims("Colonel N."))
        XCTAssertEqual(
            try Presentation(statements: [inter, leaf]).verify(anchors: anchors, revocations: [], now: NOW).label,
            "verified by Ministry of Defence")
        assertThrows(.invalidChain, try Presentation(statements: [leaf, inter]).verify(anchors: anchors, revocations: [], now: NOW))
        assertThrows(.invalidChain, try Presentation(statements: []))
        if case .InvalidStatement(let reason)? = assertThrows(
            .invalidStatement,
            try Statement.certifyAccount(issuer: ministry, accountKey: colonel, serial: 8, validFrom: NOW, validUntil: NOW + 1, claims: [])) {
            XCTAssertEqual(reason, "account certificate without a display name")
        }
        assertThrows(.invalidStatement, try Statement.issue(
            issuer: ministry, kind: .statement, subject: Data(count: 32), serial: 9, validFrom: NOW, validUntil: NOW + 1,
            claims: [Claim(tag: .custom(number: 7), value: "reserved")]))
        let doc = try Statement.issue(
            issuer: ministry, kind: .statement, subject: Data(repeating: 9, count: 32), serial: 9, validFrom: NOW, validUntil: NOW + 1,
            claims: [Claim(tag: .custom(number: 200), value: "badge 3")])
        XCTAssertEqual(doc.info().claims.map { $0.tag }, [.custom(number: 200)])
        // The seed leaves the handle only when asked for.
        XCTAssertEqual(try IssuerKeyPair.fromSeed(seed: ministry.toSeed()).publicKey(), ministry.publicKey())
    }

    func testAServerVerifiesStatementsListsAndPresentationsInABatch() throws {
        let list = try RevocationList.issue(issuer: ministry, issuedAt: NOW - 10, nextUpdate: NOW + 10, serials: [99])
        let revoking = try RevocationList.issue(issuer: ministry, issuedAt: NOW - 10, nextUpdate: NOW + 10, serials: [7])
        XCTAssertEqual(try verifyStatement(statement: cert.toBytes()), cert.info())
        XCTAssertEqual(try verifyRevocationList(revocationList: list.toBytes()), list.info())
        let presentation = try Presentation.fromText(text: Presentation(statements: [cert]).toText()).toBytes()
        XCTAssertEqual(
            try verifyPresentation(presentation: presentation, anchors: anchors, revocations: [list.toBytes()], now: NOW).label,
            "verified by Ministry of Defence")
        assertThrows(.badSignature, try verifyRevocationList(revocationList: flipped(list.toBytes(), -1)))
        func item(_ lists: [Data], _ now: Int64) -> VerifyItem {
            .presentation(presentation: presentation, anchors: anchors, revocations: lists, now: now)
        }
        let results = verifyBatch(items: [
            .statement(bytes: cert.toBytes()),
            .statement(bytes: flipped(cert.toBytes(), -1)),
            .revocationList(bytes: list.toBytes()),
            item([list.toBytes()], NOW),
            item([list.toBytes()], NOW + 2 * YEAR),
            item([revoking.toBytes()], NOW),
            item([flipped(list.toBytes(), -1)], NOW),
            .presentation(presentation: presentation, anchors: [], revocations: [], now: NOW),
        ])
        XCTAssertEqual(
            results.map { $0.error?.kind },
            [nil, .badSignature, nil, nil, .expired, .revoked, .badSignature, .unknownIssuer])
        XCTAssertEqual(results[5].error?.message, "statement 7 is revoked")
    }
}
