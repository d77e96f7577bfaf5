//! The key header: a small JSON file beside the database (`<vault>.keys`) holding the vault id
//! and key slots. A slot is the data key wrapped (XChaCha20-Poly1305) by a key derived from a
//! passphrase with argon2id. As in LUKS, more slots can wrap the same data key, and changing a
//! passphrase rewrites a slot without re-encrypting the database.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::{rngs::OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::{DataKey, Secret};

const FORMAT: &str = "keysmith-vault-keys";
/// The header version this build writes and the newest it reads.
const VERSION: u32 = 1;

/// A vault's random identity, made with its header and stable across renames; names its
/// keychain entry and binds each key slot to this vault.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VaultId(String);

impl VaultId {
    fn generate() -> Self {
        let mut bytes = [0u8; 16];
        OsRng.fill_bytes(&mut bytes);
        VaultId(hex::encode(bytes))
    }
}

impl fmt::Display for VaultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// argon2id cost parameters, recorded per slot so they can be raised later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Parallelism.
    pub p: u32,
}

impl KdfParams {
    /// The OWASP minimum for argon2id (19 MiB, 2 passes): the floor, used by tests.
    pub const MINIMUM: KdfParams = KdfParams {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };
    /// What new vaults use: 64 MiB, 3 passes, about half a second on a laptop core.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };

    /// The most a key slot may ask for: 1 GiB, 100 passes, 16 lanes. The header is a plain
    /// file; without a ceiling, an edited one could hang an unlock (`t`) or abort the process
    /// on allocation (`m_kib`).
    pub const MAXIMUM: KdfParams = KdfParams {
        m_kib: 1024 * 1024,
        t: 100,
        p: 16,
    };

    /// Refuses costs outside [`KdfParams::MINIMUM`] … [`KdfParams::MAXIMUM`].
    fn check(&self) -> Result<()> {
        let (low, high) = (Self::MINIMUM, Self::MAXIMUM);
        let within = (low.m_kib..=high.m_kib).contains(&self.m_kib)
            && (low.t..=high.t).contains(&self.t)
            && (low.p..=high.p).contains(&self.p);
        if within {
            Ok(())
        } else {
            Err(Error::KdfOutOfBounds {
                m_kib: self.m_kib,
                t: self.t,
                p: self.p,
            })
        }
    }

    fn derive(&self, passphrase: &Secret, salt: &[u8]) -> Result<Zeroizing<[u8; 32]>> {
        self.check()?;
        let params = Params::new(self.m_kib, self.t, self.p, Some(32))
            .map_err(|e| Error::VaultCorrupt(format!("key slot parameters: {e}")))?;
        let mut out = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.expose().as_bytes(), salt, out.as_mut())
            .map_err(|e| Error::VaultCorrupt(format!("key derivation: {e}")))?;
        Ok(out)
    }
}

/// One passphrase's wrapping of the data key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeySlot {
    id: String,
    kdf: KdfParams,
    #[serde(with = "hex")]
    salt: Vec<u8>,
    #[serde(with = "hex")]
    nonce: Vec<u8>,
    #[serde(with = "hex")]
    wrapped_key: Vec<u8>,
}

/// The parsed key header of one vault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Header {
    format: String,
    version: u32,
    pub(crate) vault_id: VaultId,
    slots: Vec<KeySlot>,
}

impl Header {
    /// A header for a new vault with one slot, `slot_id`, wrapping `key` under `passphrase`.
    pub(crate) fn new(
        key: &DataKey,
        slot_id: &str,
        passphrase: &Secret,
        kdf: KdfParams,
    ) -> Result<Header> {
        let vault_id = VaultId::generate();
        let slot = KeySlot::seal(&vault_id, slot_id, key, passphrase, kdf)?;
        Ok(Header {
            format: FORMAT.into(),
            version: VERSION,
            vault_id,
            slots: vec![slot],
        })
    }

    /// The header file that belongs to the database at `vault`.
    pub(crate) fn path_for(vault: &Path) -> PathBuf {
        let mut name = vault.as_os_str().to_owned();
        name.push(".keys");
        PathBuf::from(name)
    }

    /// Reads and checks the header of the vault at `vault`.
    pub(crate) fn read(vault: &Path) -> Result<Header> {
        let path = Self::path_for(vault);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A database without its header is a vault that lost its keys, not no vault.
                return Err(if vault.exists() {
                    Error::HeaderMissing(path)
                } else {
                    Error::VaultNotFound(vault.to_owned())
                });
            }
            Err(e) => return Err(e.into()),
        };
        let header: Header =
            serde_json::from_str(&text).map_err(|e| Error::VaultCorrupt(e.to_string()))?;
        if header.format != FORMAT {
            return Err(Error::VaultCorrupt(format!("not a {FORMAT} file")));
        }
        if header.version > VERSION {
            return Err(Error::UnsupportedVersion {
                found: header.version,
                supported: VERSION,
            });
        }
        Ok(header)
    }

    /// Writes the header atomically (temporary file, fsync, rename): a crash leaves the old
    /// header or the new one, never half of one.
    pub(crate) fn write(&self, vault: &Path) -> Result<()> {
        let path = Self::path_for(vault);
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::VaultCorrupt(format!("cannot encode header: {e}")))?;
        // A temporary file left by a crash is replaced; the new one is the owner's alone.
        let _ = fs::remove_file(&tmp);
        let mut file = super::files::new_private_file().open(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// The ids of every key slot.
    pub(crate) fn slot_ids(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().map(|slot| slot.id.as_str())
    }

    /// Adds a sealed slot, replacing one of the same id. A slot sealed for another vault is
    /// refused: it would never open this one.
    pub(crate) fn add_slot(&mut self, sealed: SealedSlot) -> Result<()> {
        if sealed.vault_id != self.vault_id {
            return Err(Error::VaultCorrupt(
                "the new key slot was sealed for another vault".into(),
            ));
        }
        self.slots.retain(|existing| existing.id != sealed.slot.id);
        self.slots.push(sealed.slot);
        Ok(())
    }

    /// Removes the slot `slot_id`; false when there was none.
    pub(crate) fn remove_slot(&mut self, slot_id: &str) -> bool {
        let before = self.slots.len();
        self.slots.retain(|slot| slot.id != slot_id);
        self.slots.len() != before
    }

    /// The data key and the id of the first slot that `passphrase` opens.
    pub(crate) fn unwrap_key(&self, passphrase: &Secret) -> Result<(DataKey, String)> {
        if self.slots.is_empty() {
            return Err(Error::VaultCorrupt(
                "the key header has no key slots; restore it from a backup".into(),
            ));
        }
        for slot in &self.slots {
            if let Some(key) = slot.open(&self.vault_id, passphrase)? {
                return Ok((key, slot.id.clone()));
            }
        }
        Err(Error::WrongPassphrase)
    }
}

/// A key slot sealed for one vault but not yet in its header: the slow, key-deriving half of
/// adding a slot, which needs the data key but not the vault itself.
#[derive(Debug)]
pub struct SealedSlot {
    vault_id: VaultId,
    slot: KeySlot,
}

impl SealedSlot {
    /// Whether this is slot `slot_id`.
    pub(crate) fn is_for(&self, slot_id: &str) -> bool {
        self.slot.id == slot_id
    }

    /// Seals `key` under `passphrase` as slot `slot_id` of vault `vault_id` (argon2id: slow).
    pub(crate) fn seal(
        vault_id: &VaultId,
        slot_id: &str,
        key: &DataKey,
        passphrase: &Secret,
        kdf: KdfParams,
    ) -> Result<SealedSlot> {
        Ok(SealedSlot {
            vault_id: vault_id.clone(),
            slot: KeySlot::seal(vault_id, slot_id, key, passphrase, kdf)?,
        })
    }
}

impl KeySlot {
    fn seal(
        vault_id: &VaultId,
        id: &str,
        key: &DataKey,
        passphrase: &Secret,
        kdf: KdfParams,
    ) -> Result<KeySlot> {
        let mut salt = vec![0u8; 16];
        let mut nonce = vec![0u8; 24];
        OsRng.fill_bytes(&mut salt);
        OsRng.fill_bytes(&mut nonce);
        let kek = kdf.derive(passphrase, &salt)?;
        let aad = associated_data(vault_id, id);
        let wrapped_key = XChaCha20Poly1305::new(kek.as_ref().into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key.expose(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| Error::VaultCorrupt("cannot wrap the data key".into()))?;
        Ok(KeySlot {
            id: id.to_owned(),
            kdf,
            salt,
            nonce,
            wrapped_key,
        })
    }

    /// The data key if `passphrase` is this slot's; `None` if it is not.
    fn open(&self, vault_id: &VaultId, passphrase: &Secret) -> Result<Option<DataKey>> {
        if self.nonce.len() != 24 {
            return Err(Error::VaultCorrupt(format!(
                "slot {} nonce length",
                self.id
            )));
        }
        let kek = self.kdf.derive(passphrase, &self.salt)?;
        let aad = associated_data(vault_id, &self.id);
        let opened = XChaCha20Poly1305::new(kek.as_ref().into()).decrypt(
            XNonce::from_slice(&self.nonce),
            Payload {
                msg: &self.wrapped_key,
                aad: aad.as_bytes(),
            },
        );
        let Ok(plain) = opened else { return Ok(None) };
        let mut plain = Zeroizing::new(plain);
        let bytes: &mut [u8; 32] = plain
            .as_mut_slice()
            .try_into()
            .map_err(|_| Error::VaultCorrupt(format!("slot {} key length", self.id)))?;
        Ok(Some(DataKey::from_bytes(bytes)))
    }
}

/// Binds a wrapped key to its vault and slot, so slots cannot be swapped between vaults.
fn associated_data(vault_id: &VaultId, slot_id: &str) -> String {
    format!("{FORMAT}:{vault_id}:{slot_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_from_the_floor_to_the_ceiling_are_accepted_and_no_further() {
        let (low, high) = (KdfParams::MINIMUM, KdfParams::MAXIMUM);
        assert!(low.check().is_ok() && high.check().is_ok());
        for beyond in [
            KdfParams {
                m_kib: high.m_kib + 1,
                ..high
            },
            KdfParams {
                t: high.t + 1,
                ..high
            },
            KdfParams {
                p: high.p + 1,
                ..high
            },
            KdfParams {
                m_kib: low.m_kib - 1,
                ..low
            },
            KdfParams {
                t: low.t - 1,
                ..low
            },
            KdfParams { p: 0, ..low },
        ] {
            assert_eq!(beyond.check().unwrap_err().code(), "kdf_out_of_bounds");
        }
    }

    #[test]
    fn the_right_passphrase_unwraps_the_key_and_a_wrong_one_does_not() {
        let key = DataKey::generate();
        let header = Header::new(
            &key,
            "holder",
            &"right passphrase".into(),
            KdfParams::MINIMUM,
        )
        .unwrap();
        let (opened, slot) = header.unwrap_key(&"right passphrase".into()).unwrap();
        assert_eq!(opened, key);
        assert_eq!(slot, "holder");
        assert!(matches!(
            header.unwrap_key(&"wrong passphrase".into()),
            Err(Error::WrongPassphrase)
        ));
    }

    #[test]
    fn a_slot_moved_to_another_vault_does_not_open() {
        let key = DataKey::generate();
        let mut header =
            Header::new(&key, "holder", &"pass phrase 1".into(), KdfParams::MINIMUM).unwrap();
        header.vault_id = VaultId::generate();
        assert!(matches!(
            header.unwrap_key(&"pass phrase 1".into()),
            Err(Error::WrongPassphrase)
        ));
    }

    #[test]
    fn weakened_cost_parameters_are_refused() {
        let key = DataKey::generate();
        let mut header =
            Header::new(&key, "holder", &"pass phrase 1".into(), KdfParams::MINIMUM).unwrap();
        header.slots[0].kdf.m_kib = 8;
        assert_eq!(
            header
                .unwrap_key(&"pass phrase 1".into())
                .unwrap_err()
                .code(),
            "kdf_out_of_bounds"
        );
    }
}
