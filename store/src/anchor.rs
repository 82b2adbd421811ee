//! Rollback detection (docs/PROTOCOL.md §17.4). Every committed write
//! raises the store-wide counter; an app that keeps a copy of it outside
//! the file (the platform keystore, which backups do not restore) gives
//! the store an [`Anchor`], and a file whose counter is below the copy is
//! an older copy put back.

/// Where the app keeps the counter outside the store file.
pub trait Anchor: Send {
    /// The counter last stored, if any.
    fn load(&self) -> Option<u64>;
    /// Stores the counter after a commit. Called after every committed
    /// write; a crash between the commit and this call leaves the anchor
    /// behind the file, which is never reported as a rollback.
    fn store(&self, counter: u64);
}
