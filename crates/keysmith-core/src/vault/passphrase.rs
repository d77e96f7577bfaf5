//! Changing one's own passphrase: the operator's key slot is rewritten under the new one (a
//! new salt, the same data key); the database is not touched and the keychain entry, which
//! holds the data key, stays valid.

use serde_json::json;

use super::header::Header;
use super::operators::SlotId;
use super::{KdfParams, Vault, MIN_PASSPHRASE_CHARS};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::secret::Secret;

impl Vault {
    /// Replaces the current operator's passphrase: `current` must open their slot
    /// ([`Error::WrongPassphrase`] otherwise), `new` must be long enough. Audited; nothing
    /// changes on an error.
    pub fn change_passphrase(
        &mut self,
        current: &Secret,
        new: &Secret,
        kdf: KdfParams,
    ) -> Result<()> {
        let got = new.char_count();
        if got < MIN_PASSPHRASE_CHARS {
            return Err(Error::WeakPassphrase {
                min: MIN_PASSPHRASE_CHARS,
                got,
            });
        }
        let slot = SlotId::of(&self.operator).0;
        let path = self.path.clone();
        // The header is read and written inside the change, under the vault's write lock:
        // an operator added meanwhile by another process is not written away.
        self.audited(|change| {
            let mut header = Header::read(&path)?;
            header.change_passphrase(&slot, current, new, kdf)?;
            change.record(AuditAction::PassphraseChanged, None, json!({}))?;
            header.write(&path)
        })
    }
}
