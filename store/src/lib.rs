//! qorgan-store: a crash-safe account store for qorgan on SQLite
//! (docs/PROTOCOL.md §17).
//!
//! One [`Account`] holds everything a device keeps: its identity and
//! prekeys, its account and contacts, its sessions, its groups, and two
//! mailboxes. Every operation is one SQLite transaction that commits the
//! new protocol state together with what it produced: `encrypt` puts the
//! ciphertext in the **outbox** (the app sends it, then `mark_sent`),
//! `decrypt` puts the plaintext in the **inbox** (the app saves it, then
//! `ack`). After a crash nothing is lost (the outbox still holds what was
//! not acknowledged by the server, `pending` what the app did not save),
//! nothing is decrypted twice (a message key is deleted in the transaction
//! that stores its plaintext; a redelivery is `Duplicate`), and nothing
//! is encrypted twice under one key (the state that used a key committed
//! with the ciphertext). Every value is sealed under the storage key and
//! bound to its row and the store's counter; row names are keyed hashes.
//!
//! ```no_run
//! use qorgan_store::{Account, Options};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = qorgan::StorageKey::generate(&mut qorgan::SystemRng::new()?);
//! let mut alice = Account::open("alice.db".as_ref(), &key, &Options::default())?;
//! # let bob_bundle: Vec<u8> = vec![]; let bob = *alice.identity();
//! alice.start_session(&bob_bundle)?;
//! let out = alice.encrypt(&bob, b"hello")?;   // committed, in the outbox
//! // ... send out.bytes to the server; when it acknowledges:
//! alice.mark_sent(out.id)?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod account;
mod anchor;
mod db;
mod deferred;
mod direct;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod groups;
mod held;
mod inbox;
pub mod limits;
mod mail;
mod payload;
mod record;
mod recover;

pub use account::{Account, Options};
pub use anchor::Anchor;
pub use db::{BUSY_TIMEOUT_MS, Durability, SCHEMA_VERSION};
pub use direct::Delivery;
pub use error::StoreError;
pub use groups::GroupSend;
pub use mail::{Destination, Event, Incoming, Outgoing};
pub use payload::PAYLOAD_VERSION;
