//! The vault: one SQLCipher database file plus its key header (`<file>.keys`).
//!
//! A random 256-bit [`DataKey`] encrypts the database; the header keeps that key wrapped under
//! each passphrase's argon2id-derived key (see `header`). Unlocking derives, unwraps, keys
//! SQLCipher and migrates the schema. A wrong passphrase fails before the database is opened,
//! so the file is never touched. Locking is dropping the [`Vault`].

mod audited;
mod backup;
mod copy;
pub(crate) mod files;
mod header;
mod integrity;
mod keychain;
pub(crate) mod operators;
mod passphrase;
mod rekey;
mod scheduled;
mod schema;

use std::cell::{RefCell, RefMut};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::json;
use zeroize::Zeroizing;

pub(crate) use audited::Change;
pub use backup::{BackupManifest, InventoryCounts, OpenedBackup};
pub use header::{KdfParams, SealedSlot, VaultId};
pub use integrity::IntegrityCheck;
pub use keychain::Keychain;
pub use operators::SlotSealer;
pub use scheduled::{BackupEvery, BackupSchedule, ScheduledRun};

use crate::audit::AuditAction;
use crate::clock::Clock;
use crate::credential::{CredentialId, GiveBack, Taken, UsageLimit, UseLeases, VerifyCache};
use crate::digest::Pepper;
use crate::error::{Error, Result};
use crate::people::{self, Operator};
use crate::secret::{DataKey, Secret};
use crate::settings::Settings;
use crate::text::{EmailAddress, Name};
use header::{Generation, Header};
use operators::SlotId;

/// The fewest characters a vault passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
const PEPPER_KEY: &str = "pepper";

/// The person who creates a vault: its account holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountHolder {
    /// Their name.
    pub name: Name,
    /// Their e-mail address.
    pub email: EmailAddress,
}

/// How a vault was opened, recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UnlockMethod {
    Passphrase,
    Keychain,
    /// Opened by the restore that made it.
    Restore,
}

/// Where the data key comes from.
#[derive(Clone, Copy)]
enum KeySource<'a> {
    /// An operator's passphrase, which opens their key slot.
    Passphrase(&'a Secret),
    /// The key this device remembers.
    Keychain(&'a Keychain),
}

/// What an unlocked vault may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A session that may change the vault: checked before its first write, brought to the
    /// current schema, and its unlock audited.
    Session,
    /// Reading only: nothing is written, not even an audit row, and SQLite refuses any change
    /// on the connection (`query_only`), which fails with [`Error::VaultReadOnly`].
    ReadOnly,
}

/// An unlocked vault. Dropping it locks the vault and wipes its keys from memory.
///
/// Its fields are private to this module: feature modules read through `Vault::conn` and
/// change the vault only through `Vault::audited`.
pub struct Vault {
    conn: Connection,
    pepper: Pepper,
    clock: Arc<dyn Clock>,
    /// Who acts on this vault: the user whose key slot opened it; named in every audit row.
    operator: Operator,
    /// What verification keeps in memory: credentials and their owners' access.
    verify_cache: RefCell<VerifyCache>,
    id: VaultId,
    key: DataKey,
    path: PathBuf,
    /// The session's integrity check, which every write waits for.
    integrity: Arc<IntegrityCheck>,
    /// Uses of usage-limited credentials this process leased; shared by every handle to the
    /// vault ([`Vault::open_again`]), given back when the last one closes.
    leases: Arc<UseLeases>,
}

impl Drop for Vault {
    fn drop(&mut self) {
        if Arc::strong_count(&self.leases) == 1 {
            if let Err(error) = self.give_back_uses(GiveBack::All) {
                tracing::warn!(
                    code = error.code().as_str(),
                    "could not give back leased uses"
                );
            }
        }
    }
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("id", &self.id)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Whether a vault (its key header) exists at `path`.
    pub fn exists(path: &Path) -> bool {
        Header::path_for(path).exists()
    }

    /// The id of the vault at `path`, read from its header without unlocking.
    pub fn id_at(path: &Path) -> Result<VaultId> {
        Ok(Header::read(path)?.vault_id)
    }

    /// Creates a new vault at `path` protected by `passphrase`, with `holder` as its account
    /// holder, and returns it unlocked by them.
    pub fn create(
        path: &Path,
        passphrase: &Secret,
        holder: &AccountHolder,
        kdf: KdfParams,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        let got = passphrase.char_count();
        if got < MIN_PASSPHRASE_CHARS {
            return Err(Error::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
                got,
            });
        }
        if path.is_dir() {
            return Err(Error::VaultPathIsFolder(path.to_owned()));
        }
        if path.exists() || Vault::exists(path) {
            return Err(Error::VaultExists(path.to_owned()));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            files::create_private_dir(parent)?;
        }
        let key = DataKey::generate();
        let header = Header::new(&key, SlotId::HOLDER, passphrase, kdf)?;
        header.write(path)?;
        Self::initialise(path, key, header.vault_id, holder, clock).inspect_err(|_| {
            // A vault that failed half-way is no vault: leave nothing that looks like one.
            for leftover in [path.to_owned(), Header::path_for(path)] {
                let _ = std::fs::remove_file(leftover);
            }
        })
    }

    fn initialise(
        path: &Path,
        key: DataKey,
        id: VaultId,
        holder: &AccountHolder,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        // Created here, empty and private, before SQLite opens it: SQLite itself never
        // creates a vault file.
        files::create_database_file(path)?;
        let mut conn = open_database(path, &key, Mode::Session)?;
        schema::migrate(&mut conn)?;
        // The schema seeds a placeholder account holder; this one is they.
        let holder_id = people::store::account_holder(&conn)?;
        let spec = people::UserSpec {
            name: holder.name.clone(),
            email: holder.email.clone(),
            role: people::Role::AccountHolder,
            api_access: true,
        };
        people::store::update_user(&conn, holder_id, &spec)?;
        people::store::set_created_at(&conn, holder_id, clock.now())?;
        let operator = operators::operator_for(&conn, holder_id)?;
        let pepper = Pepper::generate();
        let mut vault = Vault {
            conn,
            pepper,
            clock,
            operator,
            verify_cache: RefCell::default(),
            leases: Arc::default(),
            id,
            key,
            path: path.to_owned(),
            integrity: IntegrityCheck::passed(),
        };
        vault.audited(|change| {
            change.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                (PEPPER_KEY, change.pepper().as_bytes().as_slice()),
            )?;
            Settings::default().save(change)?;
            change.record(AuditAction::VaultCreated, None, json!({}))
        })?;
        Ok(vault)
    }

    /// Unlocks the vault at `path` with `passphrase` for a session that may change it (the
    /// unlock is audited). A wrong passphrase is [`Error::WrongPassphrase`] and leaves every
    /// file as it was.
    pub fn unlock(path: &Path, passphrase: &Secret, clock: Arc<dyn Clock>) -> Result<Vault> {
        Self::unlock_with_passphrase(path, passphrase, Mode::Session, clock)
    }

    /// Unlocks the vault at `path` with `passphrase` for reading only: nothing is written, not
    /// even an audit row, so it works on a vault the user may only read, and leaves no trace
    /// (for commands such as `keysmith list`). A change fails with [`Error::VaultReadOnly`].
    pub fn unlock_read_only(
        path: &Path,
        passphrase: &Secret,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        Self::unlock_with_passphrase(path, passphrase, Mode::ReadOnly, clock)
    }

    /// [`Vault::unlock_with`] a passphrase, which always gives a key or an error.
    fn unlock_with_passphrase(
        path: &Path,
        passphrase: &Secret,
        mode: Mode,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        Self::unlock_with(path, KeySource::Passphrase(passphrase), mode, clock)?
            .ok_or(Error::WrongPassphrase)
    }

    /// Unlocks the vault at `path` with the key this device remembers, if it remembers one,
    /// for a session that may change it (the unlock is audited).
    pub fn unlock_from_keychain(
        path: &Path,
        keychain: &Keychain,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<Vault>> {
        Self::unlock_with(path, KeySource::Keychain(keychain), Mode::Session, clock)
    }

    /// [`Vault::unlock_from_keychain`], for reading only (see [`Vault::unlock_read_only`]).
    pub fn unlock_from_keychain_read_only(
        path: &Path,
        keychain: &Keychain,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<Vault>> {
        Self::unlock_with(path, KeySource::Keychain(keychain), Mode::ReadOnly, clock)
    }

    /// Unlocks with the data key from `source`: `None` when the keychain remembers no usable
    /// key for this vault (a passphrase always gives a key, or an error).
    fn unlock_with(
        path: &Path,
        source: KeySource<'_>,
        mode: Mode,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<Vault>> {
        let started = std::time::Instant::now();
        let mut header = Header::read(path)?;
        let (key, previous_key, slot, method, upgraded) = match source {
            KeySource::Passphrase(passphrase) => {
                let opened = header.open(passphrase)?;
                let method = UnlockMethod::Passphrase;
                let (key, previous, upgraded) = (opened.key, opened.previous_key, opened.upgraded);
                (key, previous, opened.slot, method, upgraded)
            }
            KeySource::Keychain(keychain) => match keychain.load(&header.vault_id)? {
                // The operator it was remembered for must still be able to unlock it.
                Some((key, slot)) if header.slot_ids().any(|id| id == slot) => {
                    (key, None, slot, UnlockMethod::Keychain, false)
                }
                _ => return Ok(None),
            },
        };
        // The key's cost (the passphrase's key derivation) and the opening's, apart: the
        // first is chosen, the second is what a large vault could make slow.
        let key_ready = std::time::Instant::now();
        let id = header.vault_id.clone();
        let open = |key| {
            Self::open(
                path,
                key,
                id.clone(),
                slot.clone(),
                method,
                mode,
                clock.clone(),
            )
        };
        // A re-key that was cut short left the old key beside the new one: the database is
        // encrypted with one of them.
        let (vault, generation) = match (open(key), previous_key) {
            (Err(Error::WrongKey), Some(previous)) => (open(previous), Generation::Previous),
            (opened, _) => (opened, Generation::Current),
        };
        let vault = match vault {
            // A restore cut short between its renames: its header is staged beside the vault.
            Err(Error::WrongKey)
                if mode == Mode::Session && backup::finish_interrupted(path, false)? =>
            {
                return Self::unlock_with(path, source, mode, clock);
            }
            other => other,
        };
        let vault = vault.map_err(|error| match (error, method) {
            // The passphrase opened a slot of this header, so the key is the header's: the
            // database is another vault's, or its first page is damaged.
            (Error::WrongKey, UnlockMethod::Passphrase) => Error::HeaderMismatch,
            (other, _) => other,
        })?;
        if mode == Mode::Session {
            backup::finish_interrupted(path, true)?;
            let finished = rekey::tidy_interrupted(path, &mut header, generation)?;
            if upgraded || finished {
                header.write(path)?;
            }
        }
        tracing::info!(
            ?method,
            key_ms = key_ready.duration_since(started).as_millis(),
            open_ms = key_ready.elapsed().as_millis(),
            "vault unlocked"
        );
        Ok(Some(vault))
    }

    fn open(
        path: &Path,
        key: DataKey,
        id: VaultId,
        slot: String,
        method: UnlockMethod,
        mode: Mode,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault> {
        let tightened = files::tighten(&files::vault_files(path, &Header::path_for(path)))?;
        if !tightened.is_empty() {
            tracing::warn!(
                files = ?tightened,
                "the vault's files were readable by other users; they are now the owner's alone"
            );
        }
        // Only a file made by Vault::create is ever given a schema: an empty one here is a
        // damaged vault, and is left as it is.
        if std::fs::metadata(path)?.len() == 0 {
            return Err(Error::VaultDamaged("the database file is empty".into()));
        }
        let mut conn = open_database(path, &key, mode)?;
        let found = schema::version(&conn)?;
        if found == 0 {
            return Err(Error::VaultDamaged(
                "the database has no Keysmith schema".into(),
            ));
        }
        if found > schema::CURRENT {
            return Err(Error::UnsupportedVersion {
                found,
                supported: schema::CURRENT,
            });
        }
        if mode == Mode::ReadOnly && found < schema::CURRENT {
            // Reading an older schema would misread it, and bringing it up to date is a
            // change: such a vault is opened as a session, once.
            drop(conn);
            return Self::open(path, key, id, slot, method, Mode::Session, clock);
        }
        let migrating = mode == Mode::Session && found < schema::CURRENT;
        if migrating {
            // Bringing the schema up to date is a write: the check comes first, here.
            integrity::check_pages(&conn)?;
            schema::migrate(&mut conn)?;
        }
        let pepper = load_pepper(&conn)?;
        let operator = operators::operator_for_slot(&conn, &slot)?;
        let mut vault = Vault {
            conn,
            pepper,
            clock,
            operator,
            verify_cache: RefCell::default(),
            leases: Arc::default(),
            id,
            key,
            path: path.to_owned(),
            integrity: IntegrityCheck::passed(),
        };
        if mode == Mode::Session {
            let method = match method {
                UnlockMethod::Passphrase => "passphrase",
                UnlockMethod::Keychain => "keychain",
                UnlockMethod::Restore => "restore",
            };
            // The check and the unlock's audit row, on a handle of their own, while this one
            // reads; every write of this session waits for them (integrity.rs).
            let mut checker = vault.open_again()?;
            vault.integrity = IntegrityCheck::start(method, move || {
                if !migrating {
                    integrity::check_pages(&checker.conn)?;
                }
                checker.record_unlock(method)
            })?;
        }
        Ok(vault)
    }

    /// Records the unlock of this session, made by `method`, in the audit log.
    fn record_unlock(&mut self, method: &str) -> Result<()> {
        self.audited_unchecked(|change| {
            change.record(
                AuditAction::VaultUnlocked,
                None,
                json!({ "method": method }),
            )
        })
    }

    /// The session's integrity check, to wait for its verdict without holding the vault
    /// (the window shows it once it is in).
    pub fn integrity_check(&self) -> Arc<IntegrityCheck> {
        Arc::clone(&self.integrity)
    }

    /// This vault's id.
    pub fn id(&self) -> &VaultId {
        &self.id
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The vault's connection, for reading. Changes go through [`Vault::audited`].
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The key that digests tokens.
    pub(crate) fn pepper(&self) -> &Pepper {
        &self.pepper
    }

    /// What verification keeps in memory, checked against the verify revision first.
    pub(crate) fn verify_cache(&self) -> Result<RefMut<'_, VerifyCache>> {
        let mut cache = self.verify_cache.borrow_mut();
        cache.refresh(&self.conn)?;
        Ok(cache)
    }

    /// Takes one use of `credential`, limited by `limit`, from this process's leases (see
    /// [`UseLeases`]); a new lease is written only once the session's integrity check passed.
    pub(crate) fn take_use(&self, credential: CredentialId, limit: UsageLimit) -> Result<Taken> {
        self.leases
            .take(&self.conn, credential, limit, self.now(), &self.integrity)
    }

    /// A number that moves whenever the vault's database changes, through this handle or any
    /// other, in any process (SQLite's data version): a window re-reads its inventory when it
    /// moves (a server's uses, another process's change).
    pub fn revision(&self) -> Result<u32> {
        // The data version is what the last read saw: read first.
        self.conn
            .query_row("SELECT count(*) FROM meta", [], |row| row.get::<_, i64>(0))?;
        let mut version = 0;
        self.conn.file_control(
            Some(rusqlite::MAIN_DB),
            rusqlite::FileControl::DataVersion(&mut version),
        )?;
        Ok(version)
    }

    /// Puts back one use of `credential` taken by a verification that was then refused
    /// anyway (its rate limit spent), to the lease it came from.
    pub fn refund_use(&self, credential: CredentialId) {
        self.leases.refund(credential);
    }

    /// Gives the uses of leases no verification spent from since the last call back to the
    /// vault, for other processes to take: a server does it at every flush. (The last handle
    /// to close gives back every lease.)
    pub fn give_back_idle_uses(&self) -> Result<()> {
        self.give_back_uses(GiveBack::Idle)
    }

    /// Gives `which` leases' unspent uses back to the vault.
    fn give_back_uses(&self, which: GiveBack) -> Result<()> {
        if self.integrity.wait().is_err() {
            return Ok(());
        }
        self.leases.give_back(&self.conn, which)
    }

    /// Reads the operator afresh, after their own name, e-mail or role changed.
    pub(crate) fn refresh_operator(&mut self) -> Result<()> {
        let device = self.operator.device.take();
        self.operator = operators::operator_for(&self.conn, self.operator.user_id)?;
        self.operator.device = device;
        Ok(())
    }

    /// Runs `work` with `operator` acting instead of the one who unlocked, who acts again
    /// after, whatever `work` answers (a team server's request, made by a device's user).
    pub(crate) fn acting_as<T>(
        &mut self,
        operator: Operator,
        work: impl FnOnce(&mut Vault) -> Result<T>,
    ) -> Result<T> {
        let unlocked_by = std::mem::replace(&mut self.operator, operator);
        let outcome = work(self);
        self.operator = unlocked_by;
        outcome
    }

    /// Another connection to this vault's database, keyed like the first: for a writer that
    /// must not hold up this connection's readers.
    pub(crate) fn open_connection(&self) -> Result<Connection> {
        open_database(&self.path, &self.key, Mode::Session)
    }

    /// A second handle to this unlocked vault, on a connection of its own, for the same
    /// operator: for a server that answers while this handle serves the app. Nothing is
    /// audited; the unlock already was.
    pub fn open_again(&self) -> Result<Vault> {
        let conn = self.open_connection()?;
        let pepper = load_pepper(&conn)?;
        Ok(Vault {
            conn,
            pepper,
            clock: Arc::clone(&self.clock),
            operator: self.operator.clone(),
            verify_cache: RefCell::default(),
            leases: Arc::clone(&self.leases),
            id: self.id.clone(),
            key: self.key.clone(),
            path: self.path.clone(),
            integrity: Arc::clone(&self.integrity),
        })
    }

    /// How long this handle waits for another connection's lock before an operation fails
    /// with [`Error::VaultBusy`]: five seconds as opened; zero for a handle that must never
    /// wait, such as one a server answers with on the threads that accept connections.
    pub fn set_lock_wait(&self, wait: std::time::Duration) -> Result<()> {
        Ok(self.conn.busy_timeout(wait)?)
    }

    /// The current time by this vault's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Who is acting on this vault.
    pub fn operator(&self) -> &Operator {
        &self.operator
    }

    /// Remembers this vault's key in the OS keychain, so it opens without the passphrase, as
    /// the current operator.
    pub fn remember_on_device(&self, keychain: &Keychain) -> Result<()> {
        keychain.store(&self.id, &self.key, &SlotId::of(&self.operator).0)
    }

    /// Forgets this vault's key from the OS keychain.
    pub fn forget_on_device(&self, keychain: &Keychain) -> Result<()> {
        keychain.forget(&self.id)
    }

    /// The vault's settings.
    pub fn settings(&self) -> Result<Settings> {
        Settings::load(&self.conn)
    }

    /// Replaces the vault's settings after checking every value. Account holder and admins.
    pub fn update_settings(&mut self, settings: Settings) -> Result<()> {
        self.operator.require_admin("change settings")?;
        settings.validate()?;
        self.audited(|change| {
            settings.save(change)?;
            change.record(
                AuditAction::SettingsChanged,
                None,
                serde_json::to_value(settings).unwrap_or_default(),
            )
        })
    }
}

/// Applies the schema to a bare connection, for unit tests of table-level code.
#[cfg(test)]
pub(crate) fn migrate_for_tests(conn: &mut Connection) {
    schema::migrate(conn).expect("schema applies to an empty database");
}

/// The pepper, from inside the encrypted database.
fn load_pepper(conn: &Connection) -> Result<Pepper> {
    let stored: Zeroizing<Vec<u8>> = Zeroizing::new(conn.query_row(
        "SELECT value FROM meta WHERE key = ?1",
        [PEPPER_KEY],
        |row| row.get(0),
    )?);
    Pepper::from_stored(&stored)
        .ok_or_else(|| Error::VaultCorrupt("the stored pepper has the wrong length".into()))
}

/// Opens the database file at `path` and keys it with `key` the way every vault connection
/// is opened, then drops the connection: for tests of keying itself, such as the first
/// connections a process opens at once (the `test-support` feature).
#[cfg(feature = "test-support")]
pub fn key_database_file(path: &Path, key: &DataKey) -> Result<()> {
    open_database(path, key, Mode::Session).map(drop)
}

/// Finishes SQLite's one-time initialisation in this process before any vault connection
/// is opened, with every other thread waiting for it.
///
/// SQLite marks itself initialised and only then, outside its own lock, runs SQLCipher's set-up
/// (`SQLITE_EXTRA_INIT`: the crypto provider, the private heap). A thread that opened a
/// connection in between found SQLCipher not yet initialised, and its `PRAGMA key` failed
/// ("PRAGMA key requires a key of one or more characters"): two vaults opened at once by a
/// fresh process (the app's API and its window, `serve`, parallel tests) could fail to key.
/// Here the first caller opens an in-memory database, which returns only after the whole
/// initialisation, and `Once` holds every other caller until it has.
fn initialise_sqlcipher() {
    static INITIALISED: Once = Once::new();
    INITIALISED.call_once(|| {
        // A failure here is SQLite's own (out of memory) and the caller's open reports it.
        let _ = Connection::open_in_memory();
    });
}

/// Opens and keys the SQLCipher database. The first read decides whether the key is right;
/// a wrong key fails there, before anything is written.
fn open_database(path: &Path, key: &DataKey, mode: Mode) -> Result<Connection> {
    if !path.exists() {
        return Err(Error::VaultNotFound(path.to_owned()));
    }
    initialise_sqlcipher();
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // SQLCipher's own log lines (e.g. "hmac check failed" on a wrong key) would turn one
    // typed error into several lines on stderr; the error says what they would.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    // A raw key ("x'…'") skips SQLCipher's own PBKDF2: the key is already random.
    let hex_key = Zeroizing::new(hex::encode(key.expose()));
    let pragma = Zeroizing::new(format!("PRAGMA key = \"x'{}'\";", hex_key.as_str()));
    conn.execute_batch(&pragma)?;
    let readable = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })
        .optional();
    match readable {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(Error::WrongKey)
        }
        Err(e) => return Err(e.into()),
    }
    // WAL with synchronous=NORMAL: a commit survives a killed process (not a power cut before
    // the next checkpoint), and issuing costs no fsync. Busy timeout lets a second process
    // (the CLI, a test) read while the app holds the file. Every page read from disk costs an
    // HMAC check and a decryption, so a large page cache (up to 64 MiB, only as used) keeps
    // the hot credential pages decrypted in memory. Deleted and overwritten content is zeroed
    // in the file (secure_delete): a handed-over secret is gone, not merely unlinked.
    conn.execute_batch(
        "PRAGMA cache_size = -65536;
         PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA busy_timeout = 5000;",
    )?;
    if mode == Mode::ReadOnly {
        // Opened for writing all the same (SQLite falls back to reading on a file the user
        // may not write), so that the last connection out removes its -wal and -shm files as
        // usual; SQLite itself refuses every change on this connection.
        conn.pragma_update(None, "query_only", true)?;
    }
    Ok(conn)
}
