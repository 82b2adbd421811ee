//! The SQLite file (docs/PROTOCOL.md §17.1): schema, migrations, the
//! store-wide counter, and the one way to change anything, [`Db::write`]:
//! an immediate transaction that reads what it needs inside itself, seals
//! every value for its slot at the next counter value, and commits or
//! changes nothing.

use std::path::Path;

use qorgan::StorageKey;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use zeroize::Zeroizing;

use crate::StoreError;

/// The schema this library writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// How long (in milliseconds, retrying every millisecond) a transaction
/// waits for another process's lock before failing.
pub const BUSY_TIMEOUT_MS: u64 = 10_000;

/// What SQLite's `synchronous` is set to (WAL journal in both cases).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous = NORMAL`: a commit survives the app crashing; the
    /// last commits may be lost if the whole device loses power. The
    /// outbox and inbox still make every message exactly-once, because
    /// state and mail commit together.
    #[default]
    Normal,
    /// `synchronous = FULL`: a commit survives power loss too.
    Full,
}

const SCHEMA_V1: &str = "
CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE objects (kind INTEGER NOT NULL, id BLOB NOT NULL, generation INTEGER NOT NULL,
                      value BLOB NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID;
CREATE TABLE sessions (peer BLOB NOT NULL, sid BLOB NOT NULL, generation INTEGER NOT NULL,
                       value BLOB NOT NULL, PRIMARY KEY (peer, sid)) WITHOUT ROWID;
CREATE TABLE outbox (id INTEGER PRIMARY KEY, generation INTEGER NOT NULL, value BLOB NOT NULL);
CREATE TABLE inbox (id INTEGER PRIMARY KEY, generation INTEGER NOT NULL, value BLOB NOT NULL);
CREATE TABLE events (id INTEGER PRIMARY KEY, generation INTEGER NOT NULL, value BLOB NOT NULL);
";

/// The value the `check` row seals: opening it tells a wrong key from a
/// damaged file.
const CHECK: &[u8] = b"qorgan-store";

/// Object kinds of the `objects` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The device: identity and prekeys (`PreKeyStore` state).
    Device = 1,
    /// This device's account (`Account` state).
    Account = 2,
    /// A contact, by keyed name of its account key.
    Contact = 3,
    /// A group's held roster, by keyed name of the group id.
    Roster = 4,
    /// A group's outbound session.
    Outbound = 5,
    /// A sender's chains in a group.
    Ring = 6,
    /// Per peer device: its identity, the active session, failures.
    Peer = 7,
    /// Per group: the devices the current chain was distributed to.
    Distributed = 8,
    /// A session's skipped keys, by peer and session (§17.3), apart from
    /// its core so an ordinary message does not rewrite them.
    Skipped = 9,
    /// A group payload waiting until it can apply (§17.3).
    Deferred = 10,
}

/// The slot a sealed value belongs to (§17.1): table, row key, generation.
pub(crate) fn slot(table: &str, key: &[u8], generation: u64) -> Vec<u8> {
    let mut c = Vec::with_capacity(table.len() + key.len() + 13);
    c.extend_from_slice(table.as_bytes());
    c.push(0);
    c.extend_from_slice(&u32::try_from(key.len()).unwrap_or(u32::MAX).to_be_bytes());
    c.extend_from_slice(key);
    c.extend_from_slice(&generation.to_be_bytes());
    c
}

/// The busy handler: sleep a millisecond and retry, for
/// [`BUSY_TIMEOUT_MS`] attempts in all.
fn retry_busy(attempts: i32) -> bool {
    if u64::try_from(attempts).unwrap_or(u64::MAX) >= BUSY_TIMEOUT_MS {
        return false;
    }
    std::thread::sleep(std::time::Duration::from_millis(1));
    true
}

fn corrupt(why: &str) -> StoreError {
    StoreError::Corrupt(why.into())
}

/// An open store file.
pub(crate) struct Db {
    pub(crate) conn: Connection,
    pub(crate) key: StorageKey,
}

impl Db {
    /// Opens (creating if needed) the file at `path`: WAL, the busy
    /// timeout, the schema (migrated), the check value. Returns the store
    /// and whether it was just created.
    pub(crate) fn open(
        path: &Path,
        key: &StorageKey,
        durability: Durability,
        rng: &mut qorgan::SystemRng,
    ) -> Result<(Self, bool), StoreError> {
        let conn = Connection::open(path)?;
        // SQLite's own busy handler backs off to 100 ms sleeps, so a process
        // waiting for another that commits in a tight loop can starve (an
        // app's notification extension behind the app's catch-up). Retrying
        // every millisecond gives it the gaps between the other's commits.
        conn.busy_handler(Some(retry_busy))?;
        conn.set_prepared_statement_cache_capacity(64);
        // Before the first page is written (setting WAL writes it), the
        // page size of a new file can still change; an existing file keeps
        // its own.
        conn.pragma_update(None, "page_size", 1024)?;
        // A file that is not a database fails here, on its first read.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        conn.pragma_update(
            None,
            "synchronous",
            match durability {
                Durability::Normal => "NORMAL",
                Durability::Full => "FULL",
            },
        )?;
        // The durability asked for; an anchored store forces FULL later
        // (`Db::anchored`).
        conn.pragma_update(None, "wal_autocheckpoint", 4000)?;
        let mut db = Self {
            conn,
            key: key.clone(),
        };
        let created = db.init(rng)?;
        Ok((db, created))
    }

    fn init(&mut self, rng: &mut qorgan::SystemRng) -> Result<bool, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let has_meta: bool = tx
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)?;
        let created = if has_meta {
            let version: Option<Vec<u8>> = tx
                .query_row("SELECT value FROM meta WHERE name = 'schema'", [], |r| {
                    r.get(0)
                })
                .optional()?;
            let version = version
                .and_then(|v| <[u8; 4]>::try_from(v.as_slice()).ok())
                .map(u32::from_be_bytes)
                .ok_or_else(|| corrupt("no schema version"))?;
            if version == 0 {
                return Err(corrupt("schema version 0"));
            }
            if version > SCHEMA_VERSION {
                return Err(StoreError::NewerVersion {
                    found: version,
                    supported: SCHEMA_VERSION,
                });
            }
            // Versions before SCHEMA_VERSION would migrate here, one step
            // at a time, inside this transaction (there are none yet).
            let check: Vec<u8> = tx
                .query_row("SELECT value FROM meta WHERE name = 'check'", [], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or_else(|| corrupt("no check value"))?;
            match self.key.open_value(&slot("meta", b"check", 0), &check) {
                Ok(v) if v.as_slice() == CHECK => {}
                Ok(_) => return Err(corrupt("check value")),
                Err(qorgan::StateError::AuthenticationFailed) => return Err(StoreError::WrongKey),
                Err(e) => return Err(StoreError::Corrupt(e.to_string())),
            }
            false
        } else {
            // Small pages: a commit writes the few rows it changed, each a
            // page, into the WAL; 1 KiB pages write a quarter of the bytes
            // 4 KiB ones would for the same rows.
            tx.execute_batch(SCHEMA_V1)?;
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('schema', ?1)",
                params![SCHEMA_VERSION.to_be_bytes().to_vec()],
            )?;
            let check = self.key.seal_value(rng, &slot("meta", b"check", 0), CHECK);
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('check', ?1)",
                params![check],
            )?;
            let counter =
                self.key
                    .seal_value(rng, &slot("meta", b"counter", 0), &0u64.to_be_bytes());
            tx.execute(
                "INSERT INTO meta (name, value) VALUES ('counter', ?1)",
                params![counter],
            )?;
            true
        };
        tx.commit()?;
        Ok(created)
    }
}

/// Reads the store-wide counter inside a transaction.
pub(crate) fn read_counter(conn: &Connection, key: &StorageKey) -> Result<u64, StoreError> {
    let sealed: Vec<u8> = conn
        .prepare_cached("SELECT value FROM meta WHERE name = 'counter'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .ok_or_else(|| corrupt("no counter"))?;
    let v = key.open_value(&slot("meta", b"counter", 0), &sealed)?;
    <[u8; 8]>::try_from(v.as_slice())
        .map(u64::from_be_bytes)
        .map_err(|_| corrupt("counter"))
}

/// Rows as read: a key (id or session name) and the opened value.
pub(crate) type Rows<K> = Vec<(K, Zeroizing<Vec<u8>>)>;

fn generation_of(g: i64) -> Result<u64, StoreError> {
    u64::try_from(g).map_err(|_| corrupt("generation"))
}

fn gen_sql(g: u64) -> Result<i64, StoreError> {
    i64::try_from(g).map_err(|_| corrupt("counter exhausted"))
}

/// One write transaction: the generation every value it writes is sealed
/// at (the counter's next value), the connection, the key and randomness.
pub(crate) struct Tx<'a> {
    pub(crate) tx: rusqlite::Transaction<'a>,
    pub(crate) key: &'a StorageKey,
    pub(crate) rng: &'a mut qorgan::SystemRng,
    pub(crate) generation: u64,
    /// Mailbox rows appended so far in this transaction.
    pub(crate) appended: u32,
}

impl Tx<'_> {
    fn object_slot(kind: Kind, id: &[u8], generation: u64) -> Vec<u8> {
        let mut k = vec![kind as u8];
        k.extend_from_slice(id);
        slot("objects", &k, generation)
    }

    /// An object's plain value, if any.
    pub(crate) fn get(
        &self,
        kind: Kind,
        id: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .tx
            .prepare_cached("SELECT generation, value FROM objects WHERE kind = ?1 AND id = ?2")?
            .query_row(params![kind as i64, id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match row {
            None => Ok(None),
            Some((generation, sealed)) => {
                let generation = generation_of(generation)?;
                Ok(Some(self.key.open_value(
                    &Self::object_slot(kind, id, generation),
                    &sealed,
                )?))
            }
        }
    }

    /// Every object of `kind`: (id, plain value).
    pub(crate) fn all(&self, kind: Kind) -> Result<Rows<Vec<u8>>, StoreError> {
        sealed_rows(
            &self.tx,
            self.key,
            "SELECT id, generation, value FROM objects WHERE kind = ?1",
            params![kind as i64],
            |id: &Vec<u8>, g| Self::object_slot(kind, id, g),
        )
    }

    /// Writes an object at this transaction's generation.
    pub(crate) fn put(&mut self, kind: Kind, id: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let sealed = self.key.seal_value(
            self.rng,
            &Self::object_slot(kind, id, self.generation),
            value,
        );
        self.tx
            .prepare_cached(
                "INSERT INTO objects (kind, id, generation, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, id) DO UPDATE SET generation = ?3, value = ?4",
            )?
            .execute(params![kind as i64, id, gen_sql(self.generation)?, sealed])?;
        Ok(())
    }

    /// Deletes an object.
    pub(crate) fn delete(&mut self, kind: Kind, id: &[u8]) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM objects WHERE kind = ?1 AND id = ?2")?
            .execute(params![kind as i64, id])?;
        Ok(())
    }

    fn session_slot(peer: &[u8], sid: &[u8], generation: u64) -> Vec<u8> {
        slot("sessions", &[peer, sid].concat(), generation)
    }

    /// Every session with the peer device named `peer`: (sid, plain state).
    pub(crate) fn sessions(&self, peer: &[u8]) -> Result<Rows<Vec<u8>>, StoreError> {
        sealed_rows(
            &self.tx,
            self.key,
            "SELECT sid, generation, value FROM sessions WHERE peer = ?1 ORDER BY generation",
            params![peer],
            |sid: &Vec<u8>, g| Self::session_slot(peer, sid, g),
        )
    }

    /// Writes a session.
    pub(crate) fn put_session(
        &mut self,
        peer: &[u8],
        sid: &[u8],
        value: &[u8],
    ) -> Result<(), StoreError> {
        let sealed = self.key.seal_value(
            self.rng,
            &Self::session_slot(peer, sid, self.generation),
            value,
        );
        self.tx
            .prepare_cached(
                "INSERT INTO sessions (peer, sid, generation, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (peer, sid) DO UPDATE SET generation = ?3, value = ?4",
            )?
            .execute(params![peer, sid, gen_sql(self.generation)?, sealed])?;
        Ok(())
    }

    /// Deletes a session.
    pub(crate) fn delete_session(&mut self, peer: &[u8], sid: &[u8]) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("DELETE FROM sessions WHERE peer = ?1 AND sid = ?2")?
            .execute(params![peer, sid])?;
        Ok(())
    }

    /// How many objects of `kind` there are (nothing opened).
    pub(crate) fn count(&self, kind: Kind) -> Result<usize, StoreError> {
        let n: i64 = self
            .tx
            .prepare_cached("SELECT count(*) FROM objects WHERE kind = ?1")?
            .query_row(params![kind as i64], |r| r.get(0))?;
        usize::try_from(n).map_err(|_| corrupt("count"))
    }

    /// Deletes every object of `kind` (after a rollback).
    pub(crate) fn delete_kind(&mut self, kind: Kind) -> Result<usize, StoreError> {
        Ok(self
            .tx
            .prepare_cached("DELETE FROM objects WHERE kind = ?1")?
            .execute(params![kind as i64])?)
    }

    /// Deletes every session (after a rollback).
    pub(crate) fn delete_all_sessions(&mut self) -> Result<usize, StoreError> {
        Ok(self.tx.execute("DELETE FROM sessions", [])?)
    }

    /// Appends a value to a mailbox table; returns its row id:
    /// `generation × 2^16 + the count of rows appended before it in this
    /// transaction`. Generations only grow, so an id is never given twice,
    /// even after the row it named is gone (a late `ack` or `mark_sent` of
    /// an old id finds nothing instead of another message).
    pub(crate) fn append(&mut self, table: Mailbox, value: &[u8]) -> Result<i64, StoreError> {
        if self.appended >= 1 << 16 {
            return Err(StoreError::InvalidPayload(
                "too many rows in one transaction",
            ));
        }
        let next = gen_sql(self.generation)?
            .checked_mul(1 << 16)
            .and_then(|g| g.checked_add(i64::from(self.appended)))
            .ok_or_else(|| corrupt("counter exhausted"))?;
        self.appended += 1;
        self.write_mail(table, next, value)?;
        Ok(next)
    }

    /// Writes (or rewrites) a mailbox row at this generation.
    pub(crate) fn write_mail(
        &mut self,
        table: Mailbox,
        id: i64,
        value: &[u8],
    ) -> Result<(), StoreError> {
        let sealed = self.key.seal_value(
            self.rng,
            &slot(table.name(), &id.to_be_bytes(), self.generation),
            value,
        );
        self.tx
            .prepare_cached(table.upsert_sql())?
            .execute(params![id, gen_sql(self.generation)?, sealed])?;
        Ok(())
    }

    /// One mailbox row's value, if any.
    pub(crate) fn mail(
        &self,
        table: Mailbox,
        id: i64,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .tx
            .prepare_cached(table.get_sql())?
            .query_row(params![id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(generation, sealed)| {
            Ok(self.key.open_value(
                &slot(table.name(), &id.to_be_bytes(), generation_of(generation)?),
                &sealed,
            )?)
        })
        .transpose()
    }

    /// Removes a mailbox row; false if there was none.
    pub(crate) fn remove(&mut self, table: Mailbox, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(table.delete_sql())?
            .execute(params![id])?
            > 0)
    }
}

/// The mailbox tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mailbox {
    Outbox,
    Inbox,
    Events,
}

impl Mailbox {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Outbox => "outbox",
            Self::Inbox => "inbox",
            Self::Events => "events",
        }
    }

    fn upsert_sql(self) -> &'static str {
        match self {
            Self::Outbox => {
                "INSERT OR REPLACE INTO outbox (id, generation, value) VALUES (?1, ?2, ?3)"
            }
            Self::Inbox => {
                "INSERT OR REPLACE INTO inbox (id, generation, value) VALUES (?1, ?2, ?3)"
            }
            Self::Events => {
                "INSERT OR REPLACE INTO events (id, generation, value) VALUES (?1, ?2, ?3)"
            }
        }
    }

    fn get_sql(self) -> &'static str {
        match self {
            Self::Outbox => "SELECT generation, value FROM outbox WHERE id = ?1",
            Self::Inbox => "SELECT generation, value FROM inbox WHERE id = ?1",
            Self::Events => "SELECT generation, value FROM events WHERE id = ?1",
        }
    }

    fn delete_sql(self) -> &'static str {
        match self {
            Self::Outbox => "DELETE FROM outbox WHERE id = ?1",
            Self::Inbox => "DELETE FROM inbox WHERE id = ?1",
            Self::Events => "DELETE FROM events WHERE id = ?1",
        }
    }

    fn all_sql(self) -> &'static str {
        match self {
            Self::Outbox => "SELECT id, generation, value FROM outbox ORDER BY id",
            Self::Inbox => "SELECT id, generation, value FROM inbox ORDER BY id",
            Self::Events => "SELECT id, generation, value FROM events ORDER BY id",
        }
    }
}

/// Reads every row of a mailbox (a read transaction of its own).
pub(crate) fn read_mailbox(
    conn: &Connection,
    key: &StorageKey,
    table: Mailbox,
) -> Result<Rows<i64>, StoreError> {
    sealed_rows(conn, key, table.all_sql(), [], |id: &i64, g| {
        slot(table.name(), &id.to_be_bytes(), g)
    })
}

/// Runs `sql` (selecting key, generation, sealed value) and opens every
/// value for the slot `slot_of(key, generation)` names.
fn sealed_rows<K: rusqlite::types::FromSql>(
    conn: &Connection,
    key: &StorageKey,
    sql: &str,
    params: impl rusqlite::Params,
    slot_of: impl Fn(&K, u64) -> Vec<u8>,
) -> Result<Rows<K>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, K>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (k, generation, sealed) = row?;
        let v = key.open_value(&slot_of(&k, generation_of(generation)?), &sealed)?;
        out.push((k, v));
    }
    Ok(out)
}

impl Db {
    /// Runs `f` in one immediate transaction: the counter is read inside
    /// it (another process may have moved it), every value `f` writes is
    /// sealed at the next counter value, and the counter is written last.
    /// Any error rolls everything back. Returns `f`'s result and the new
    /// counter.
    pub(crate) fn write<T>(
        &mut self,
        rng: &mut qorgan::SystemRng,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<(T, u64), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let counter = read_counter(&tx, &self.key)?;
        let generation = counter
            .checked_add(1)
            .ok_or_else(|| corrupt("counter exhausted"))?;
        let mut t = Tx {
            tx,
            key: &self.key,
            rng,
            generation,
            appended: 0,
        };
        let out = f(&mut t)?;
        let sealed = t.key.seal_value(
            t.rng,
            &slot("meta", b"counter", 0),
            &generation.to_be_bytes(),
        );
        t.tx.prepare_cached("UPDATE meta SET value = ?1 WHERE name = 'counter'")?
            .execute(params![sealed])?;
        t.tx.commit()?;
        Ok((out, generation))
    }

    /// With an anchor, every commit must be on disk before the anchor
    /// records it: otherwise a power loss leaves the file behind the anchor
    /// and looks like a rollback. `synchronous = FULL` syncs the WAL at
    /// each commit.
    pub(crate) fn anchored(&self) -> Result<(), StoreError> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(())
    }

    /// The counter, read now.
    pub(crate) fn counter(&self) -> Result<u64, StoreError> {
        read_counter(&self.conn, &self.key)
    }
}
