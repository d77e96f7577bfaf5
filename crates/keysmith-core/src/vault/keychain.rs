//! "Remember on this device": the vault's data key kept in the OS keychain (Secret Service on
//! Linux, Keychain on macOS, Credential Manager on Windows) through the `keyring` crate, one
//! entry per vault id holding the data key and the key slot of the operator who asked to be
//! remembered, so the vault opens as them. Where no keychain service runs, every call answers
//! [`Error::KeychainUnavailable`] and the passphrase remains the way in.

use zeroize::Zeroizing;

use super::VaultId;
use crate::error::{Error, Result};
use crate::secret::DataKey;

/// The keychain service name our entries are filed under.
const SERVICE: &str = "dev.keysmith.vault";

/// Access to the OS keychain for vault keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keychain;

impl Keychain {
    /// Stores `key` and the operator's key `slot` as what vault `id` opens with on this
    /// device, replacing any earlier entry.
    pub fn store(&self, id: &VaultId, key: &DataKey, slot: &str) -> Result<()> {
        let mut payload = Zeroizing::new(Vec::with_capacity(32 + slot.len()));
        payload.extend_from_slice(key.expose());
        payload.extend_from_slice(slot.as_bytes());
        entry(id)?.set_secret(&payload).map_err(unavailable)
    }

    /// The remembered key of vault `id` and the key slot of the operator it opens as, or
    /// `None` when this device does not remember it.
    pub fn load(&self, id: &VaultId) -> Result<Option<(DataKey, String)>> {
        match entry(id)?.get_secret() {
            Ok(bytes) => {
                let mut bytes = Zeroizing::new(bytes);
                let not_a_key =
                    || Error::KeychainUnavailable("the stored entry is not a vault key".into());
                let slot = bytes
                    .get(32..)
                    .and_then(|rest| std::str::from_utf8(rest).ok())
                    .ok_or_else(not_a_key)?
                    .to_owned();
                let array: &mut [u8; 32] =
                    (&mut bytes[..32]).try_into().map_err(|_| not_a_key())?;
                Ok(Some((DataKey::from_bytes(array), slot)))
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Removes the remembered key of vault `id`; forgetting what was never stored is fine.
    pub fn forget(&self, id: &VaultId) -> Result<()> {
        match entry(id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}

fn entry(id: &VaultId) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, &format!("vault-{id}")).map_err(unavailable)
}

/// Maps a keyring failure to our error without ever formatting stored bytes.
fn unavailable(error: keyring::Error) -> Error {
    let reason = match error {
        keyring::Error::PlatformFailure(e) | keyring::Error::NoStorageAccess(e) => e.to_string(),
        keyring::Error::BadEncoding(_) => "the stored entry is not a vault key".into(),
        other => other.to_string(),
    };
    Error::KeychainUnavailable(reason)
}
