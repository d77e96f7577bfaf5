//! Encrypted backups and restoring them.
//!
//! A backup is one tar file of three entries: `keysmith-backup.json` (the manifest, readable
//! by anyone who has the file, and the vault's data key wrapped under the backup's own
//! passphrase with argon2id), `vault.keys` (the vault's key header, so each operator's
//! passphrase opens the backup too, and a restored vault opens as the original did) and
//! `vault.db` (the database, exported with `sqlcipher_export` into a fresh file under the
//! vault's key). A backup is checked after it is written by opening it as a restore would.
//!
//! Restoring checks the backup first (passphrase, integrity, schema version no newer than
//! this build's, the manifest's counts), then, with the vault to itself, keeps the replaced
//! vault beside it (`<vault>.before-restore-<time>` and its `.keys`: a vault of its own), puts
//! the backup's database in place and then its header, staged as `<vault>.keys.restore` so
//! that an unlock after a crash between the two finishes the job (`finish_interrupted`).

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::header::{Header, PassphraseWrap};
use super::operators::SlotId;
use super::{
    copy, files, integrity, open_database, schema, KdfParams, Keychain, Mode, UnlockMethod, Vault,
    VaultId, MIN_PASSPHRASE_CHARS,
};
use crate::audit::AuditAction;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::secret::{DataKey, Secret};

const FORMAT: &str = "keysmith-backup";
/// The backup version this build writes and the newest it reads.
const VERSION: u32 = 1;
const MANIFEST_ENTRY: &str = "keysmith-backup.json";
const HEADER_ENTRY: &str = "vault.keys";
const DATABASE_ENTRY: &str = "vault.db";
/// The most the two small entries may hold: a hostile file cannot make us read gigabytes.
const SMALL_ENTRY_LIMIT: u64 = 1024 * 1024;

/// What a backup says of itself (readable without its passphrase).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct BackupManifest {
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The Keysmith version that wrote it.
    pub app_version: String,
    /// The vault's schema version in it.
    pub schema_version: u32,
    /// What it holds.
    pub counts: InventoryCounts,
}

/// How many of each thing a vault holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
pub struct InventoryCounts {
    /// Credentials, of every status.
    pub credentials: u32,
    /// People.
    pub users: u32,
    /// Groups.
    pub groups: u32,
    /// Audit log rows.
    pub audit_entries: u32,
}

impl InventoryCounts {
    fn of(conn: &Connection) -> Result<InventoryCounts> {
        let count = |table: &str| -> Result<u32> {
            Ok(
                conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                    row.get(0)
                })?,
            )
        };
        Ok(InventoryCounts {
            credentials: count("credentials")?,
            users: count("users")?,
            groups: count("groups")?,
            audit_entries: count("audit")?,
        })
    }
}

/// The backup's first entry.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    format: String,
    version: u32,
    vault_id: VaultId,
    manifest: BackupManifest,
    /// The data key under the backup's own passphrase; a scheduled backup has none, and opens
    /// with the operators' passphrases alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    backup_key: Option<PassphraseWrap>,
}

/// What the backup passphrase's wrapping is bound to: this format and vault.
fn backup_aad(vault_id: &VaultId) -> String {
    format!("{FORMAT}:{VERSION}:{vault_id}")
}

/// A backup that opened and passed every check, its database unpacked into a private scratch
/// folder that goes when this does.
#[derive(Debug)]
pub struct OpenedBackup {
    manifest: BackupManifest,
    header: Header,
    key: DataKey,
    database: PathBuf,
    _scratch: tempfile::TempDir,
}

impl OpenedBackup {
    /// Opens the backup at `file` with its backup passphrase or an operator's passphrase, and
    /// checks it: [`Error::NotABackup`], [`Error::WrongBackupPassphrase`],
    /// [`Error::UnsupportedVersion`] (newer than this build) or [`Error::VaultDamaged`]. Its
    /// database is unpacked into a scratch folder made in `scratch_in` (where it will be put
    /// in place, for a restore: the same file system), which is made, private, if missing.
    pub fn open(file: &Path, passphrase: &Secret, scratch_in: &Path) -> Result<OpenedBackup> {
        files::create_private_dir(scratch_in)?;
        let scratch = files::private_scratch(".keysmith-restore-", scratch_in)?;
        let database = scratch.path().join(DATABASE_ENTRY);
        let (envelope, header) = unpack(file, &database)?;
        if envelope.format != FORMAT {
            return Err(Error::NotABackup(
                "its manifest is not a Keysmith backup's".into(),
            ));
        }
        if envelope.version > VERSION {
            return Err(Error::UnsupportedVersion {
                found: envelope.version,
                supported: VERSION,
            });
        }
        if header.vault_id != envelope.vault_id {
            return Err(Error::NotABackup(
                "its key header is another vault's".into(),
            ));
        }
        let mut header = header;
        let own = match &envelope.backup_key {
            Some(wrap) => wrap.open(passphrase, &backup_aad(&envelope.vault_id))?,
            None => None,
        };
        let key = match own {
            Some(key) => key,
            None => match header.clone().open(passphrase) {
                Ok(opened) => opened.key,
                Err(Error::WrongPassphrase) => return Err(Error::WrongBackupPassphrase),
                Err(other) => return Err(other),
            },
        };
        // Whatever the header's slots sealed, a restored vault's slots lead to this key.
        header.reseal(&key)?;
        check_database(&database, &key, &envelope.manifest)?;
        Ok(OpenedBackup {
            manifest: envelope.manifest,
            header,
            key,
            database,
            _scratch: scratch,
        })
    }

    /// [`OpenedBackup::open`] to restore at `vault`: unpacked in the folder it will be put in.
    pub fn open_to_restore(file: &Path, passphrase: &Secret, vault: &Path) -> Result<OpenedBackup> {
        Self::open(file, passphrase, files::folder_of(vault))
    }

    /// What the backup says of itself.
    pub fn manifest(&self) -> &BackupManifest {
        &self.manifest
    }
}

/// Reads the backup's entries: the envelope and header into memory, the database into
/// `database`. Entries are found by name and written only there: a path inside the archive
/// never decides where anything is written.
fn unpack(file: &Path, database: &Path) -> Result<(Envelope, Header)> {
    let not_a_backup = |why: &str| Error::NotABackup(why.to_owned());
    let mut archive = tar::Archive::new(File::open(file)?);
    let (mut envelope, mut header, mut unpacked) = (None, None, false);
    for entry in archive
        .entries()
        .map_err(|_| not_a_backup("it is not a tar file"))?
    {
        let mut entry = entry.map_err(|_| not_a_backup("it is damaged"))?;
        if !entry.header().entry_type().is_file() {
            return Err(not_a_backup("it holds something other than files"));
        }
        let name = entry
            .path()
            .map_err(|_| not_a_backup("an entry's name is unreadable"))?
            .to_string_lossy()
            .into_owned();
        match name.as_str() {
            MANIFEST_ENTRY | HEADER_ENTRY => {
                let mut text = String::new();
                (&mut entry)
                    .take(SMALL_ENTRY_LIMIT)
                    .read_to_string(&mut text)
                    .map_err(|_| not_a_backup("its manifest is not text"))?;
                if name == MANIFEST_ENTRY {
                    envelope = Some(
                        serde_json::from_str::<Envelope>(&text)
                            .map_err(|e| Error::NotABackup(format!("its manifest: {e}")))?,
                    );
                } else {
                    header = Some(Header::parse(&text)?);
                }
            }
            DATABASE_ENTRY => {
                let mut out = files::create_database_file(database)?;
                std::io::copy(&mut entry, &mut out)
                    .map_err(|_| not_a_backup("its database entry is damaged"))?;
                out.sync_all()?;
                unpacked = true;
            }
            _ => return Err(not_a_backup("it holds an entry Keysmith does not write")),
        }
    }
    match (envelope, header, unpacked) {
        (Some(envelope), Some(header), true) => Ok((envelope, header)),
        _ => Err(not_a_backup("an entry is missing")),
    }
}

/// Opens the unpacked database with `key` and checks it against the manifest.
fn check_database(database: &Path, key: &DataKey, manifest: &BackupManifest) -> Result<()> {
    let conn = open_database(database, key, Mode::ReadOnly).map_err(|error| match error {
        Error::WrongKey => Error::NotABackup("its database does not open with its key".into()),
        other => other,
    })?;
    let found = schema::version(&conn)?;
    if found == 0 {
        return Err(Error::NotABackup(
            "its database has no Keysmith schema".into(),
        ));
    }
    if found > schema::CURRENT {
        return Err(Error::UnsupportedVersion {
            found,
            supported: schema::CURRENT,
        });
    }
    integrity::check_pages(&conn)?;
    if InventoryCounts::of(&conn)? != manifest.counts || found != manifest.schema_version {
        return Err(Error::NotABackup(
            "its database does not hold what its manifest says".into(),
        ));
    }
    Ok(())
}

/// The header a restore stages before it puts the backup's database in place.
fn staged_header(vault: &Path) -> PathBuf {
    files::with_suffix(&Header::path_for(vault), ".restore")
}

impl Vault {
    /// Writes an encrypted backup of the vault to `target` (replacing the file there, as a save
    /// dialog confirms), openable with `passphrase` (and each operator's), checks it by
    /// opening it, and audits it. Account holder and admins. Nothing is left at `target` on
    /// an error.
    pub fn back_up(
        &mut self,
        target: &Path,
        passphrase: &Secret,
        kdf: KdfParams,
    ) -> Result<BackupManifest> {
        self.operator.require_admin("back up the vault")?;
        let got = passphrase.char_count();
        if got < MIN_PASSPHRASE_CHARS {
            return Err(Error::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
                got,
            });
        }
        let wrap = PassphraseWrap::seal(&self.key, passphrase, kdf, &backup_aad(&self.id))?;
        let manifest = self.write_backup(target, Some(wrap), |_, part, scratch| {
            OpenedBackup::open(part, passphrase, scratch).map(drop)
        })?;
        let file = target
            .file_name()
            .map(|name| name.to_string_lossy().into_owned());
        let credentials = manifest.counts.credentials;
        self.audited(|change| {
            change.record(
                AuditAction::BackupWritten,
                None,
                json!({ "file": file, "credentials": credentials }),
            )
        })?;
        Ok(manifest)
    }

    /// Writes a backup to `target` (see the module), with the backup passphrase's wrapping of
    /// the key if any, checks it with `check` (given this vault, the written file and a
    /// scratch folder beside it) and only then puts it at `target`.
    pub(super) fn write_backup(
        &mut self,
        target: &Path,
        backup_key: Option<PassphraseWrap>,
        check: impl FnOnce(&Vault, &Path, &Path) -> Result<()>,
    ) -> Result<BackupManifest> {
        self.settle_before_write()?;
        let scratch = files::private_scratch(".keysmith-backup-", files::folder_of(target))?;
        let database = scratch.path().join(DATABASE_ENTRY);
        copy::export_to(&self.conn, &database, &self.key)?;
        // Counted in the export itself: one snapshot, whatever was written meanwhile.
        let (counts, schema_version) = {
            let exported = open_database(&database, &self.key, Mode::ReadOnly)?;
            (InventoryCounts::of(&exported)?, schema::version(&exported)?)
        };
        let manifest = BackupManifest {
            created_at: self.clock.now(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            schema_version,
            counts,
        };
        let envelope = Envelope {
            format: FORMAT.into(),
            version: VERSION,
            vault_id: self.id.clone(),
            manifest: manifest.clone(),
            backup_key,
        };
        let header = Header::read(&self.path)?;
        let part = scratch.path().join("backup.part");
        write_archive(&part, &envelope, &header, &database)?;
        check(self, &part, scratch.path())?;
        fs::rename(&part, target)?;
        files::sync_parent(target)?;
        Ok(manifest)
    }

    /// Checks a backup this vault just wrote, with its own key: for a scheduled backup,
    /// which has no passphrase of its own.
    pub(super) fn check_own_backup(&self, part: &Path, scratch: &Path) -> Result<()> {
        let unpacked = files::private_scratch(".keysmith-check-", scratch)?;
        let database = unpacked.path().join(DATABASE_ENTRY);
        let (envelope, header) = unpack(part, &database)?;
        if header.vault_id != self.id {
            return Err(Error::NotABackup(
                "its key header is another vault's".into(),
            ));
        }
        check_database(&database, &self.key, &envelope.manifest)
    }

    /// Whether this handle's operator may restore the vault: the account holder alone
    /// ([`Error::Forbidden`] otherwise). It reads nothing, so a read-only handle can answer
    /// it before a restore writes anything.
    pub fn require_restore(&self) -> Result<()> {
        self.operator
            .require_account_holder("restore the vault from a backup")
    }

    /// Replaces this vault with the checked `backup`: the replaced vault is kept beside it
    /// (the path is returned), and this handle becomes the restored vault, opened as its
    /// account holder. A backup restores once: its unpacked database is moved into place. The account holder's alone, with the vault to itself
    /// ([`Error::VaultInUse`] otherwise); nothing is changed on an error before the swap.
    pub fn restore(&mut self, backup: &OpenedBackup, keychain: &Keychain) -> Result<PathBuf> {
        self.require_restore()?;
        self.settle_before_write()?;
        copy::take_exclusive(&self.conn)?;
        let stamp = self.clock.now().format("%Y%m%dT%H%M%SZ");
        let kept = files::with_suffix(&self.path, &format!(".before-restore-{stamp}"));
        if let Err(error) = keep_and_stage(&self.path, &kept, backup) {
            let _ = fs::remove_file(staged_header(&self.path));
            copy::release_exclusive(&self.conn)?;
            return Err(error);
        }
        // The swap: the database, then its header. A crash between is finished at the next
        // unlock (finish_interrupted).
        fs::rename(&backup.database, &self.path)?;
        fs::rename(staged_header(&self.path), Header::path_for(&self.path))?;
        files::sync_parent(&self.path)?;
        let previous_id = self.id.clone();
        *self = Self::open_restored(&self.path, backup, Arc::clone(&self.clock))?;
        if previous_id != self.id {
            if let Err(error) = keychain.forget(&previous_id) {
                tracing::warn!(%error, "the replaced vault's keychain entry stays");
            }
        }
        self.follow_in_keychain(keychain);
        Ok(kept)
    }

    /// Makes a working vault at `path`, where none is, from the checked `backup`: it opens
    /// with the passphrases its operators had when it was written. Returned open as its
    /// account holder.
    pub fn restore_new(path: &Path, backup: &OpenedBackup, clock: Arc<dyn Clock>) -> Result<Vault> {
        if path.exists() || Vault::exists(path) {
            return Err(Error::VaultExists(path.to_owned()));
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            files::create_private_dir(parent)?;
        }
        fs::rename(&backup.database, path)?;
        if let Err(error) = backup.header.write(path) {
            let _ = fs::remove_file(path);
            return Err(error);
        }
        Self::open_restored(path, backup, clock)
    }

    /// Opens a vault just restored from `backup` as its account holder, and audits the
    /// restore in it.
    fn open_restored(path: &Path, backup: &OpenedBackup, clock: Arc<dyn Clock>) -> Result<Vault> {
        let id = backup.header.vault_id.clone();
        let mut vault = Self::open(
            path,
            backup.key.clone(),
            id,
            SlotId::HOLDER.into(),
            UnlockMethod::Restore,
            Mode::Session,
            clock,
        )?;
        let from = backup.manifest.created_at;
        vault.audited(|change| {
            change.record(
                AuditAction::VaultRestored,
                None,
                json!({ "backup_created_at": from }),
            )
        })?;
        Ok(vault)
    }
}

/// Keeps the vault at `vault` as `kept` (hard links, so the vault stays whole meanwhile)
/// and stages the backup's header.
fn keep_and_stage(vault: &Path, kept: &Path, backup: &OpenedBackup) -> Result<()> {
    for (from, to) in [
        (vault.to_owned(), kept.to_owned()),
        (Header::path_for(vault), Header::path_for(kept)),
    ] {
        if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to)?;
        }
    }
    let staged = staged_header(vault);
    let _ = fs::remove_file(&staged);
    let mut file = files::new_private_file().open(&staged)?;
    file.write_all(&backup.header.to_json()?)?;
    file.sync_all()?;
    files::sync_parent(vault)?;
    Ok(())
}

/// Writes the backup archive to `part`, private to this user.
fn write_archive(part: &Path, envelope: &Envelope, header: &Header, database: &Path) -> Result<()> {
    let file = files::new_private_file().open(part)?;
    let mut archive = tar::Builder::new(file);
    let mtime = u64::try_from(envelope.manifest.created_at.timestamp()).unwrap_or(0);
    let json = serde_json::to_vec_pretty(envelope)
        .map_err(|e| Error::VaultCorrupt(format!("cannot encode the manifest: {e}")))?;
    for (name, bytes) in [(MANIFEST_ENTRY, json), (HEADER_ENTRY, header.to_json()?)] {
        let mut entry = tar::Header::new_gnu();
        entry.set_size(bytes.len() as u64);
        entry.set_mode(0o600);
        entry.set_mtime(mtime);
        entry.set_cksum();
        archive.append_data(&mut entry, name, bytes.as_slice())?;
    }
    let mut db = File::open(database)?;
    let mut entry = tar::Header::new_gnu();
    entry.set_size(db.metadata()?.len());
    entry.set_mode(0o600);
    entry.set_mtime(mtime);
    entry.set_cksum();
    archive.append_data(&mut entry, DATABASE_ENTRY, &mut db)?;
    archive.into_inner()?.sync_all()?;
    Ok(())
}

/// After a restore was cut short between its two renames, the database is the backup's and
/// the header the replaced vault's: puts the staged header in place. True when it did (unlock
/// again); a staged header left by a restore that never swapped is removed.
pub(crate) fn finish_interrupted(vault: &Path, database_opened: bool) -> Result<bool> {
    let staged = staged_header(vault);
    if !staged.exists() {
        return Ok(false);
    }
    if database_opened {
        fs::remove_file(&staged)?;
        return Ok(false);
    }
    fs::rename(&staged, Header::path_for(vault))?;
    files::sync_parent(vault)?;
    Ok(true)
}
