//! The store's errors: one enum, with the protocol's errors inside, so an
//! app tells a wrong storage key from a corrupt file from a newer schema
//! from a rolled-back copy without parsing messages. No variant carries
//! key material or message content.

use qorgan::{
    AccountError, DecryptError, EncryptError, GroupError, HandshakeError, RosterError, StateError,
    VerifyError,
};

/// Why a store operation failed. On any error the store is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage key does not open this store (its check value does not
    /// authenticate): another key, not a damaged file.
    #[error("wrong storage key for this store")]
    WrongKey,
    /// The file is not a qorgan store, or a value in it does not
    /// authenticate or decode under the right key.
    #[error("store is corrupt: {0}")]
    Corrupt(String),
    /// The file was written by a newer library (schema version `found`).
    #[error("store schema version {found} is newer than this library's {supported}")]
    NewerVersion {
        /// The file's schema version.
        found: u32,
        /// The newest this library reads.
        supported: u32,
    },
    /// The store's counter is below the copy the app keeps outside it (the
    /// platform keystore): an older copy of the file was put back.
    /// [`Account::open_rolled_back`](crate::Account::open_rolled_back)
    /// opens it anyway, resetting every session.
    #[error("store was rolled back: its counter {store} is below the anchor {anchor}")]
    RolledBack {
        /// The file's counter.
        store: u64,
        /// The counter the app last recorded.
        anchor: u64,
    },
    /// SQLite failed (I/O, a full disk, a lock held too long).
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    /// There is no session with this device: fetch its bundle and call
    /// `start_session`.
    #[error("no session with this device")]
    NoSession,
    /// No outbox or inbox entry, group or contact by that name.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// A decrypted payload is not a store payload (docs/PROTOCOL.md §17).
    #[error("invalid payload: {0}")]
    InvalidPayload(&'static str),
    /// The 1:1 handshake failed.
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
    /// A message did not decrypt.
    #[error(transparent)]
    Decrypt(#[from] DecryptError),
    /// A message could not be encrypted.
    #[error(transparent)]
    Encrypt(#[from] EncryptError),
    /// Bytes or signatures did not verify.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A device list or contact operation failed.
    #[error(transparent)]
    Account(#[from] AccountError),
    /// A group operation failed.
    #[error(transparent)]
    Group(#[from] GroupError),
    /// A roster operation failed.
    #[error(transparent)]
    Roster(#[from] RosterError),
    /// Randomness from the operating system failed.
    #[error("operating system randomness unavailable")]
    Rng,
}

impl From<StateError> for StoreError {
    fn from(e: StateError) -> Self {
        Self::Corrupt(e.to_string())
    }
}
