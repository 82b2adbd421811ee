import Foundation
import XCTest
@testable import Qorgan

/// The caller's clock (Unix seconds) the tests run at: the library reads none.
let NOW: Int64 = 1_700_000_000

/// One day in seconds.
let DAY: Int64 = 86_400

/// UTF-8 bytes of `s`.
func utf8(_ s: String) -> Data { Data(s.utf8) }

/// The string of UTF-8 `data` (empty if invalid, which fails the comparison).
func text(_ data: Data?) -> String { data.flatMap { String(data: $0, encoding: .utf8) } ?? "<nil>" }

/// A 32-byte storage key that differs per `seed`.
func storageKey(_ seed: Int) -> Data { Data((0..<32).map { UInt8(truncatingIfNeeded: $0 * 7 + seed) }) }

/// A copy of `bytes` with the byte at `index` (negative: from the end) flipped.
func flipped(_ bytes: Data, _ index: Int) -> Data {
    var copy = [UInt8](bytes)
    let i = index < 0 ? copy.count + index : index
    copy[i] ^= 0x01
    return Data(copy)
}

let defaultPolicy = GroupPolicy(maxMessages: 10_000, maxAgeSecs: 604_800)

/// Two sessions, both past the handshake (the responder has replied).
struct Established {
    let initiator: Session
    let responder: Session
}

/// Runs the handshake from `from` to `to` and one reply.
func establish(_ from: Device, _ to: Device) throws -> Established {
    let initiator = try from.initiate(bundle: to.bundle())
    let accepted = try to.accept(message: initiator.encrypt(plaintext: utf8("hello")), now: NOW)
    XCTAssertEqual(text(accepted.plaintext), "hello")
    XCTAssertEqual(text(try initiator.decrypt(message: accepted.session.encrypt(plaintext: utf8("hi")))), "hi")
    return Established(initiator: initiator, responder: accepted.session)
}

/// The kind of a thrown error: the switch is exhaustive, so a new
/// `QorganError` case fails to compile here until it is mapped.
func kind(of error: QorganError) -> ErrorKind {
    switch error {
    case .Malformed: return .malformed
    case .BadSignature: return .badSignature
    case .AuthenticationFailed: return .authenticationFailed
    case .Duplicate: return .duplicate
    case .TooFarAhead: return .tooFarAhead
    case .UntrustedIdentity: return .untrustedIdentity
    case .UnknownPreKey: return .unknownPreKey
    case .PreKeyExpired: return .preKeyExpired
    case .Replay: return .replay
    case .NonContributory: return .nonContributory
    case .RotationRequired: return .rotationRequired
    case .ChainExhausted: return .chainExhausted
    case .WrongChain: return .wrongChain
    case .BeforeFirstIteration: return .beforeFirstIteration
    case .WrongGroup: return .wrongGroup
    case .KeyCommitmentMismatch: return .keyCommitmentMismatch
    case .ConflictingChainKey: return .conflictingChainKey
    case .ConflictingRotation: return .conflictingRotation
    case .RetiredChain: return .retiredChain
    case .CorruptState: return .corruptState
    case .WrongOwner: return .wrongOwner
    case .RolledBack: return .rolledBack
    case .NotSuccessor: return .notSuccessor
    case .WrongAccount: return .wrongAccount
    case .ListRolledBack: return .listRolledBack
    case .Fork: return .fork
    case .Gap: return .gap
    case .InvalidList: return .invalidList
    case .ProvisioningFailed: return .provisioningFailed
    case .InvalidLinkCode: return .invalidLinkCode
    case .NoAccountKey: return .noAccountKey
    case .DeviceNotListed: return .deviceNotListed
    case .Misaddressed: return .misaddressed
    case .NotListed: return .notListed
    case .NoSession: return .noSession
    case .InvalidRoster: return .invalidRoster
    case .RosterRolledBack: return .rosterRolledBack
    case .RosterFork: return .rosterFork
    case .RosterGap: return .rosterGap
    case .RosterBehind: return .rosterBehind
    case .StaleChain: return .staleChain
    case .SenderNotMember: return .senderNotMember
    case .NotMember: return .notMember
    case .RosterMismatch: return .rosterMismatch
    case .NotAdmin: return .notAdmin
    case .SignerNotAdmin: return .signerNotAdmin
    case .RosterNotSuccessor: return .rosterNotSuccessor
    case .NotInRoster: return .notInRoster
    case .InvalidStatement: return .invalidStatement
    case .UnknownIssuer: return .unknownIssuer
    case .InvalidChain: return .invalidChain
    case .NotYetValid: return .notYetValid
    case .Expired: return .expired
    case .Revoked: return .revoked
    case .WrongSubject: return .wrongSubject
    case .InvalidText: return .invalidText
    case .WrongStorageKey: return .wrongStorageKey
    case .CorruptStore: return .corruptStore
    case .NewerVersion: return .newerVersion
    case .StoreRolledBack: return .storeRolledBack
    case .Database: return .database
    case .NotFound: return .notFound
    case .InvalidArgument: return .invalidArgument
    case .Internal: return .internal
    }
}

/// Asserts that `expression` throws a `QorganError` of `expected` kind and returns it.
@discardableResult
func assertThrows<T>(
    _ expected: ErrorKind,
    _ expression: @autoclosure () throws -> T,
    file: StaticString = #filePath,
    line: UInt = #line
) -> QorganError? {
    do {
        _ = try expression()
        XCTFail("expected \(expected), nothing was thrown", file: file, line: line)
        return nil
    } catch let error as QorganError {
        XCTAssertEqual(kind(of: error), expected, "\(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected QorganError.\(expected), got \(error)", file: file, line: line)
        return nil
    }
}
