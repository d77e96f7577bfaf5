//! "Remember on this device": the vault's data key kept in the OS keychain (Secret Service on
//! Linux, Keychain on macOS, Credential Manager on Windows) through the `keyring` crate, one
//! entry per vault id. Where no keychain service runs, every call answers
//! [`Error::KeychainUnavailable`] and the passphrase remains the way in.

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::DataKey;
use crate::vault::VaultId;

/// The keychain service name our entries are filed under.
const SERVICE: &str = "dev.keysmith.vault";

/// Access to the OS keychain for vault keys.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keychain;

impl Keychain {
    /// Stores `key` as the remembered key of vault `id`, replacing any earlier one.
    pub fn store(&self, id: &VaultId, key: &DataKey) -> Result<()> {
        entry(id)?.set_secret(key.expose()).map_err(unavailable)
    }

    /// The remembered key of vault `id`, or `None` when this device does not remember it.
    pub fn load(&self, id: &VaultId) -> Result<Option<DataKey>> {
        match entry(id)?.get_secret() {
            Ok(bytes) => {
                let mut bytes = Zeroizing::new(bytes);
                let array: &mut [u8; 32] = bytes.as_mut_slice().try_into().map_err(|_| {
                    Error::KeychainUnavailable("the stored entry is not a vault key".into())
                })?;
                Ok(Some(DataKey::from_bytes(array)))
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
