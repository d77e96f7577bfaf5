//! Re-keying: a new random data key for the database, for when someone who could unlock the
//! vault may have kept its key (their passphrase was taken away). The pepper stays — it is in
//! the database — so every issued token still verifies.
//!
//! Crash-safe, in three steps, each atomic on disk:
//! 1. the database is exported under the new key into `<vault>.rekey` (the old file untouched);
//! 2. the header seals the new key for every slot, keeping the old one beside it;
//! 3. `<vault>.rekey` is renamed over the vault; then the old keys are dropped from the header.
//!
//! A kill at any point leaves a database that one of the header's keys opens. The next
//! session unlock sees which one did and finishes the re-key or undoes it (`tidy_interrupted`).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::header::{Generation, Header};
use super::{copy, files, open_database, Keychain, Mode, Vault};
use crate::audit::AuditAction;
use crate::error::Result;
use crate::secret::DataKey;

/// The new database while a re-key writes it.
fn staged_path(vault: &Path) -> PathBuf {
    files::with_suffix(vault, ".rekey")
}

impl Vault {
    /// Gives the vault a new data key (see the module's steps): every operator's passphrase
    /// still opens it, the keychain entry of this device follows, and the re-key is audited.
    /// The account holder's alone, with the vault to itself ([`crate::Error::VaultInUse`]
    /// while another connection has it open). On an error nothing has changed.
    pub fn rekey(&mut self, keychain: &Keychain) -> Result<()> {
        self.operator.require_account_holder("re-key the vault")?;
        self.settle_before_write()?;
        let mut header = Header::read(&self.path)?;
        let new_key = DataKey::generate();
        header.begin_rekey(&new_key)?;
        copy::take_exclusive(&self.conn)?;
        let staged = staged_path(&self.path);
        if let Err(error) = self.stage_rekey(&header, &staged, &new_key) {
            header.finish_rekey(Generation::Previous);
            let undone = header.write(&self.path);
            let _ = fs::remove_file(&staged);
            copy::release_exclusive(&self.conn)?;
            undone?;
            return Err(error);
        }
        // Renamed: the vault is the new database from here on, whatever fails after.
        // Dropping the old connection (on the old, unlinked file) releases nothing anyone
        // else holds.
        self.conn = open_database(&self.path, &new_key, Mode::Session)?;
        self.key = new_key;
        self.verify_cache = Default::default();
        header.finish_rekey(Generation::Current);
        header.write(&self.path)?;
        self.audited(|change| change.record(AuditAction::VaultRekeyed, None, json!({})))?;
        self.follow_in_keychain(keychain);
        Ok(())
    }

    /// Steps 1 to 3 up to the rename: export, the header with both keys, the rename.
    fn stage_rekey(&self, header: &Header, staged: &Path, new_key: &DataKey) -> Result<()> {
        // A file left by a re-key that was killed while exporting.
        let _ = fs::remove_file(staged);
        copy::export_to(&self.conn, staged, new_key)?;
        header.write(&self.path)?;
        fs::rename(staged, &self.path)?;
        files::sync_parent(&self.path)?;
        Ok(())
    }

    /// Replaces this device's remembered key of the vault, if it remembers one, with the
    /// current key. Best effort: a keychain that cannot be reached is logged, and the vault
    /// then asks for the passphrase on this device.
    pub(crate) fn follow_in_keychain(&self, keychain: &Keychain) {
        let followed = keychain
            .load(&self.id)
            .and_then(|remembered| match remembered {
                Some((_, slot)) => keychain.store(&self.id, &self.key, &slot),
                None => Ok(()),
            });
        if let Err(error) = followed {
            tracing::warn!(%error, "the keychain could not be given the vault's new key");
        }
    }
}

/// Tidies up after a re-key that was cut short, now that a session unlock found the
/// `generation` of key the database is encrypted with: the header keeps that one (true: the
/// caller writes it), and a half-written new database is removed. Nothing else can be
/// re-keying meanwhile: a re-key holds the database, so the unlock could not have opened it.
pub(crate) fn tidy_interrupted(
    vault: &Path,
    header: &mut Header,
    generation: Generation,
) -> Result<bool> {
    let pending = header.rekey_pending();
    if pending {
        header.finish_rekey(generation);
    }
    match fs::remove_file(staged_path(vault)) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error.into()),
        _ => Ok(pending),
    }
}
