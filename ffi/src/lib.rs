//! qorgan through uniffi: objects for a device (identity and prekeys), 1:1
//! sessions, outbound group chains and group receivers, accounts (signed
//! device lists, pinned contacts, linking, fan-out to every listed
//! device), group rosters (admin-signed membership bound to the group's
//! chains), organisation certificates (issuer keys, statements,
//! revocation lists, presentations and their QR text), the account store
//! (`StoreAccount` over SQLite, sealed under a `StorageKey`: outbox,
//! inbox, events, sessions, groups, prekeys, one transaction per call),
//! plus stateless verification for servers. Only conversions live here: every protocol
//! decision is made by the `qorgan` crate.
//!
//! Every object is thread-safe (one mutex inside), every call is
//! synchronous (no async: Kotlin and Python cancellation would drop Rust
//! futures mid-call), and calls are coarse: one per message, batches for
//! catch-up and fan-out, because every JNA call costs 10–30 µs.
//!
//! Per-message calls (`Session.encrypt`/`decrypt`, `Device.accept`,
//! `OutboundGroup.encrypt`, `GroupReceiver.decrypt`, `fanout`'s body and
//! `receive`'s plaintext) and the single-item
//! `verify_*` functions take borrowed bytes (`&[u8]`), which uniffi passes
//! without copying: Python `bytes`, Swift `Data`, Kotlin a direct
//! `java.nio.ByteBuffer` (the Kotlin package adds `ByteArray` overloads).
//! In Kotlin this saves one of the three JNA calls an owned-bytes argument
//! costs (allocating the Rust buffer); see bindings/README.md for figures.
//!
//! `StoreAccount` persists by itself (every call commits). Without it,
//! persist after every state-changing call: `Session` after `encrypt`
//! (before sending) and after `decrypt`; `Device` after `accept`,
//! `bundle(s)`, `upload`, `generate_*`, rotations and `prune`;
//! `OutboundGroup` after `encrypt`; `GroupReceiver` after `decrypt`;
//! `Account` after `provision`, `remove_device` and `update`; `Contact`
//! after `update` and after every `fanout` (its heads schedule). Every
//! `seal` binds the blob to its object and to a generation that grows with
//! each seal: record `generation()` (and the object's id) with the blob and
//! pass them to `open`, which refuses another object's blob (`WrongOwner`)
//! and an older one (`RolledBack`).
//!
//! The library reads no clock: calls that date prekeys take `now`, the
//! caller's Unix time in seconds.
//!
//! Every integer is a signed 64-bit number (Kotlin `Long`, Swift `Int64`,
//! Python `int`), so that Java can call every function: a negative
//! argument, or a count above `u32::MAX`, is refused with
//! `InvalidArgument` (see `integer.rs`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod account;
mod certificate;
mod device;
mod error;
mod group;
mod integer;
mod lock;
mod roster;
mod session;
mod store;
mod verify;

pub use account::{
    Account, Comparison, Contact, Delivery, DeviceInfo, EnvelopeAccounts, HeadReport, LinkRequest,
    ListChange, ListHead, Provisioned, Received, envelope_accounts, fanout, link_code_device,
    receive,
};
pub use certificate::{
    Claim, ClaimTag, IssuerKeyPair, Presentation, RevocationList, RevocationListInfo,
    RevocationStatus, Statement, StatementInfo, StatementKind, TrustAnchor, Verified,
};
pub use device::{AcceptResult, Device, SafetyNumber, safety_numbers_match};
pub use error::{ErrorKind, Failure, QorganError, error_message};
pub use group::{
    FanoutResult, GroupBatchResult, GroupPlaintext, GroupPolicy, GroupReceiver, OutboundGroup,
    RotationReason,
};
pub use roster::{Roster, RosterChange, RosterHead, RosterMember, RosterRole, RosterUpdate};
pub use session::{BatchResult, Session};
pub use store::{
    Destination, Durability, EventEntry, GroupSend, Incoming, MembersChanged, MessageInfo,
    MessageType, Outgoing, QueuedMessage, StorageKey, StoreAccount, StoreAnchor, StoreBatchResult,
    StoreDelivery, StoreEvent, StoreOptions, message_info,
};
pub use verify::{
    DeviceListInfo, RosterInfo, UploadInfo, VerifyItem, VerifyResult, verify_announcement,
    verify_batch, verify_bundle, verify_device_list, verify_device_list_after,
    verify_group_message, verify_identity, verify_presentation, verify_revocation_list,
    verify_roster, verify_roster_after, verify_statement, verify_upload,
};

uniffi::setup_scaffolding!();
