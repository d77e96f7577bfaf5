//! The key header: a small JSON file beside the database (`<vault>.keys`) holding the vault id
//! and key slots, one per operator. As in LUKS, every slot opens the same data key, and
//! changing a passphrase rewrites a slot without re-encrypting the database.
//!
//! A slot (version 2) has an X25519 key pair: its secret key is wrapped (XChaCha20-Poly1305)
//! by a key derived from the operator's passphrase with argon2id, and the data key is sealed
//! to its public key (a libsodium sealed box). Sealing needs no passphrase, so a re-key seals
//! the new data key for every slot while the vault is open; until the new database is in
//! place each slot also keeps the old key sealed (`sealed_previous_key`), so a crash half-way
//! leaves a vault that opens with either. Version 1 slots wrapped the data key itself; they
//! still open, and become version 2 at their operator's next passphrase unlock.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use crypto_box::{PublicKey, SecretKey};
use rand::{rngs::OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::{DataKey, Secret};

const FORMAT: &str = "keysmith-vault-keys";
/// The header version this build writes and the newest it reads.
const VERSION: u32 = 2;

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

/// One operator's way to the data key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct KeySlot {
    id: String,
    kdf: KdfParams,
    #[serde(with = "hex")]
    salt: Vec<u8>,
    #[serde(with = "hex")]
    nonce: Vec<u8>,
    #[serde(flatten)]
    lock: Lock,
}

/// What a slot's passphrase-derived key unwraps, by slot version.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum Lock {
    /// Version 2: the slot's X25519 secret key is wrapped; the data key is sealed to its
    /// public key.
    Sealed {
        #[serde(with = "hex")]
        wrapped_secret_key: Vec<u8>,
        #[serde(with = "hex")]
        public_key: Vec<u8>,
        #[serde(with = "hex")]
        sealed_key: Vec<u8>,
        /// The data key before an unfinished re-key; empty when none is under way.
        #[serde(default, with = "hex", skip_serializing_if = "Vec::is_empty")]
        sealed_previous_key: Vec<u8>,
    },
    /// Version 1: the data key itself is wrapped.
    Wrapped {
        #[serde(with = "hex")]
        wrapped_key: Vec<u8>,
    },
}

/// The parsed key header of one vault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Header {
    format: String,
    version: u32,
    pub(crate) vault_id: VaultId,
    slots: Vec<KeySlot>,
}

/// What a passphrase opened: the slot and the data keys it leads to.
#[derive(Debug)]
pub(crate) struct Opened {
    /// The slot's id.
    pub(crate) slot: String,
    /// The current data key.
    pub(crate) key: DataKey,
    /// The key before an unfinished re-key, if one is under way.
    pub(crate) previous_key: Option<DataKey>,
    /// Whether the slot was version 1 and is now version 2 in this header (write it).
    pub(crate) upgraded: bool,
}

/// Which data key a vault whose re-key was interrupted turned out to be encrypted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Generation {
    /// The new key: the new database was in place; the re-key is finished.
    Current,
    /// The old key: the new database never was; the re-key is undone.
    Previous,
}

impl Header {
    /// A header for a new vault with one slot, `slot_id`, opening `key` under `passphrase`.
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
        Self::parse(&text)
    }

    /// Parses and checks a header's text.
    pub(crate) fn parse(text: &str) -> Result<Header> {
        let header: Header =
            serde_json::from_str(text).map_err(|e| Error::VaultCorrupt(e.to_string()))?;
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

    /// The header as the JSON its file holds.
    pub(crate) fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec_pretty(self)
            .map_err(|e| Error::VaultCorrupt(format!("cannot encode header: {e}")))
    }

    /// Writes the header atomically (temporary file, fsync, rename): a crash leaves the old
    /// header or the new one, never half of one.
    pub(crate) fn write(&self, vault: &Path) -> Result<()> {
        let path = Self::path_for(vault);
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        let json = self.to_json()?;
        // A temporary file left by a crash is replaced; the new one is the owner's alone.
        let _ = fs::remove_file(&tmp);
        let mut file = super::files::new_private_file().open(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        fs::rename(&tmp, &path)?;
        super::files::sync_parent(&path)?;
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

    /// Opens the first slot that `passphrase` opens. A version 1 slot is made version 2 in
    /// this header on the way (`upgraded`: write the header to keep it).
    pub(crate) fn open(&mut self, passphrase: &Secret) -> Result<Opened> {
        if self.slots.is_empty() {
            return Err(Error::VaultCorrupt(
                "the key header has no key slots; restore it from a backup".into(),
            ));
        }
        for index in 0..self.slots.len() {
            let slot = &self.slots[index];
            let Some(kek) = slot.derive_if_opens(&self.vault_id, passphrase)? else {
                continue;
            };
            let id = slot.id.clone();
            let (key, previous_key, upgraded) = match &slot.lock {
                Lock::Sealed { .. } => {
                    let (key, previous) = slot.unseal(&self.vault_id, &kek)?;
                    (key, previous, false)
                }
                Lock::Wrapped { .. } => {
                    let key = slot.unwrap_v1(&self.vault_id, &kek)?;
                    self.slots[index] = KeySlot::seal_with(
                        &self.vault_id,
                        &id,
                        &key,
                        slot.kdf,
                        slot.salt.clone(),
                        &kek,
                    )?;
                    (key, None, true)
                }
            };
            return Ok(Opened {
                slot: id,
                key,
                previous_key,
                upgraded,
            });
        }
        Err(Error::WrongPassphrase)
    }

    /// Gives slot `slot_id` the passphrase `new` in place of `current` (a new salt, the same
    /// data key): [`Error::WrongPassphrase`] when `current` does not open it.
    pub(crate) fn change_passphrase(
        &mut self,
        slot_id: &str,
        current: &Secret,
        new: &Secret,
        kdf: KdfParams,
    ) -> Result<()> {
        let index = self
            .slots
            .iter()
            .position(|slot| slot.id == slot_id)
            .ok_or_else(|| Error::VaultCorrupt(format!("no key slot {slot_id:?}")))?;
        let slot = &self.slots[index];
        let kek = slot
            .derive_if_opens(&self.vault_id, current)?
            .ok_or(Error::WrongPassphrase)?;
        let salt = random_salt();
        let new_kek = kdf.derive(new, &salt)?;
        self.slots[index] = match &slot.lock {
            Lock::Sealed {
                public_key,
                sealed_key,
                sealed_previous_key,
                ..
            } => {
                let secret = slot.secret_key(&self.vault_id, &kek)?;
                let nonce = random_nonce();
                KeySlot {
                    id: slot.id.clone(),
                    kdf,
                    salt,
                    lock: Lock::Sealed {
                        wrapped_secret_key: wrap(
                            &new_kek,
                            &nonce,
                            &secret.to_bytes(),
                            &slot_aad(&self.vault_id, slot_id),
                        )?,
                        public_key: public_key.clone(),
                        sealed_key: sealed_key.clone(),
                        sealed_previous_key: sealed_previous_key.clone(),
                    },
                    nonce,
                }
            }
            Lock::Wrapped { .. } => {
                let key = slot.unwrap_v1(&self.vault_id, &kek)?;
                KeySlot::seal_with(&self.vault_id, slot_id, &key, kdf, salt, &new_kek)?
            }
        };
        Ok(())
    }

    /// Seals `new_key` for every slot, keeping the current key as each slot's previous one:
    /// the first step of a re-key. Refused while a slot is version 1 (its operator has not
    /// unlocked with their passphrase since): it cannot be sealed for without it.
    pub(crate) fn begin_rekey(&mut self, new_key: &DataKey) -> Result<()> {
        let legacy: Vec<String> = (self.slots.iter())
            .filter(|slot| matches!(slot.lock, Lock::Wrapped { .. }))
            .map(|slot| slot.id.clone())
            .collect();
        if !legacy.is_empty() {
            return Err(Error::LegacyKeySlots(legacy));
        }
        for slot in &mut self.slots {
            if let Lock::Sealed {
                public_key,
                sealed_key,
                sealed_previous_key,
                ..
            } = &mut slot.lock
            {
                *sealed_previous_key = std::mem::take(sealed_key);
                *sealed_key = seal_to(public_key, new_key)?;
            }
        }
        Ok(())
    }

    /// Whether a re-key was begun and not finished.
    pub(crate) fn rekey_pending(&self) -> bool {
        self.slots.iter().any(|slot| {
            matches!(&slot.lock, Lock::Sealed { sealed_previous_key, .. } if !sealed_previous_key.is_empty())
        })
    }

    /// Ends a re-key: keeps the `kept` generation of every slot's sealed key.
    pub(crate) fn finish_rekey(&mut self, kept: Generation) {
        for slot in &mut self.slots {
            if let Lock::Sealed {
                sealed_key,
                sealed_previous_key,
                ..
            } = &mut slot.lock
            {
                let previous = std::mem::take(sealed_previous_key);
                if kept == Generation::Previous && !previous.is_empty() {
                    *sealed_key = previous;
                }
            }
        }
    }

    /// Seals `key` anew for every version 2 slot: for a header that arrives with a key known
    /// by other means (a restored backup), so no slot leads to a key other than `key`.
    pub(crate) fn reseal(&mut self, key: &DataKey) -> Result<()> {
        for slot in &mut self.slots {
            if let Lock::Sealed {
                public_key,
                sealed_key,
                sealed_previous_key,
                ..
            } = &mut slot.lock
            {
                *sealed_key = seal_to(public_key, key)?;
                sealed_previous_key.clear();
            }
        }
        Ok(())
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
    /// A version 2 slot for `key` under `passphrase`, with a fresh salt and key pair.
    fn seal(
        vault_id: &VaultId,
        id: &str,
        key: &DataKey,
        passphrase: &Secret,
        kdf: KdfParams,
    ) -> Result<KeySlot> {
        let salt = random_salt();
        let kek = kdf.derive(passphrase, &salt)?;
        Self::seal_with(vault_id, id, key, kdf, salt, &kek)
    }

    /// A version 2 slot for `key` whose secret key is wrapped by `kek` (derived with `kdf`
    /// from `salt`).
    fn seal_with(
        vault_id: &VaultId,
        id: &str,
        key: &DataKey,
        kdf: KdfParams,
        salt: Vec<u8>,
        kek: &[u8; 32],
    ) -> Result<KeySlot> {
        let secret = SecretKey::generate(&mut OsRng);
        let public_key = secret.public_key().to_bytes().to_vec();
        let nonce = random_nonce();
        let wrapped_secret_key = wrap(kek, &nonce, &secret.to_bytes(), &slot_aad(vault_id, id))?;
        Ok(KeySlot {
            id: id.to_owned(),
            kdf,
            salt,
            nonce,
            lock: Lock::Sealed {
                wrapped_secret_key,
                sealed_key: seal_to(&public_key, key)?,
                public_key,
                sealed_previous_key: Vec::new(),
            },
        })
    }

    /// The passphrase's derived key if it opens this slot; `None` if it does not.
    fn derive_if_opens(
        &self,
        vault_id: &VaultId,
        passphrase: &Secret,
    ) -> Result<Option<Zeroizing<[u8; 32]>>> {
        if self.nonce.len() != 24 {
            return Err(Error::VaultCorrupt(format!(
                "slot {} nonce length",
                self.id
            )));
        }
        let kek = self.kdf.derive(passphrase, &self.salt)?;
        let (wrapped, aad) = match &self.lock {
            Lock::Sealed {
                wrapped_secret_key, ..
            } => (wrapped_secret_key, slot_aad(vault_id, &self.id)),
            Lock::Wrapped { wrapped_key } => (wrapped_key, v1_aad(vault_id, &self.id)),
        };
        Ok(unwrap(&kek, &self.nonce, wrapped, &aad).map(|_| kek))
    }

    /// A version 2 slot's secret key, unwrapped with `kek`.
    fn secret_key(&self, vault_id: &VaultId, kek: &[u8; 32]) -> Result<SecretKey> {
        let Lock::Sealed {
            wrapped_secret_key, ..
        } = &self.lock
        else {
            return Err(Error::VaultCorrupt(format!(
                "slot {} has no key pair",
                self.id
            )));
        };
        let plain = unwrap(
            kek,
            &self.nonce,
            wrapped_secret_key,
            &slot_aad(vault_id, &self.id),
        )
        .ok_or(Error::WrongPassphrase)?;
        let bytes: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| Error::VaultCorrupt(format!("slot {} key length", self.id)))?;
        Ok(SecretKey::from_bytes(bytes))
    }

    /// A version 2 slot's data key and previous data key, if a re-key is under way.
    fn unseal(&self, vault_id: &VaultId, kek: &[u8; 32]) -> Result<(DataKey, Option<DataKey>)> {
        let secret = self.secret_key(vault_id, kek)?;
        let Lock::Sealed {
            sealed_key,
            sealed_previous_key,
            ..
        } = &self.lock
        else {
            unreachable!("secret_key refused a version 1 slot");
        };
        let open = |sealed: &[u8]| -> Result<DataKey> {
            let plain = Zeroizing::new(secret.unseal(sealed).map_err(|_| {
                Error::VaultCorrupt(format!("slot {}'s sealed data key does not open", self.id))
            })?);
            data_key(&plain, &self.id)
        };
        let previous = if sealed_previous_key.is_empty() {
            None
        } else {
            Some(open(sealed_previous_key)?)
        };
        Ok((open(sealed_key)?, previous))
    }

    /// A version 1 slot's data key, unwrapped with `kek`.
    fn unwrap_v1(&self, vault_id: &VaultId, kek: &[u8; 32]) -> Result<DataKey> {
        let Lock::Wrapped { wrapped_key } = &self.lock else {
            return Err(Error::VaultCorrupt(format!(
                "slot {} is not version 1",
                self.id
            )));
        };
        let plain = unwrap(kek, &self.nonce, wrapped_key, &v1_aad(vault_id, &self.id))
            .ok_or(Error::WrongPassphrase)?;
        data_key(&plain, &self.id)
    }
}

/// A data key wrapped under a passphrase alone, bound to `aad`: what a backup carries for its
/// own passphrase.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PassphraseWrap {
    kdf: KdfParams,
    #[serde(with = "hex")]
    salt: Vec<u8>,
    #[serde(with = "hex")]
    nonce: Vec<u8>,
    #[serde(with = "hex")]
    wrapped_key: Vec<u8>,
}

impl PassphraseWrap {
    /// Wraps `key` under `passphrase` (argon2id: slow).
    pub(crate) fn seal(
        key: &DataKey,
        passphrase: &Secret,
        kdf: KdfParams,
        aad: &str,
    ) -> Result<PassphraseWrap> {
        let salt = random_salt();
        let kek = kdf.derive(passphrase, &salt)?;
        let nonce = random_nonce();
        let wrapped_key = wrap(&kek, &nonce, key.expose(), aad)?;
        Ok(PassphraseWrap {
            kdf,
            salt,
            nonce,
            wrapped_key,
        })
    }

    /// The key if `passphrase` and `aad` are the ones it was wrapped with; `None` if not.
    pub(crate) fn open(&self, passphrase: &Secret, aad: &str) -> Result<Option<DataKey>> {
        if self.nonce.len() != 24 {
            return Err(Error::VaultCorrupt("a wrapped key's nonce length".into()));
        }
        let kek = self.kdf.derive(passphrase, &self.salt)?;
        unwrap(&kek, &self.nonce, &self.wrapped_key, aad)
            .map(|plain| data_key(&plain, "backup"))
            .transpose()
    }
}

/// A fresh argon2id salt: 16 random bytes.
fn random_salt() -> Vec<u8> {
    let mut salt = vec![0u8; 16];
    OsRng.fill_bytes(&mut salt);
    salt
}

fn random_nonce() -> Vec<u8> {
    let mut nonce = vec![0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    nonce
}

/// Encrypts `plain` under `kek`, bound to `aad`.
fn wrap(kek: &[u8; 32], nonce: &[u8], plain: &[u8], aad: &str) -> Result<Vec<u8>> {
    XChaCha20Poly1305::new(kek.into())
        .encrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: plain,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| Error::VaultCorrupt("cannot wrap a key".into()))
}

/// Decrypts what [`wrap`] made; `None` when `kek` or `aad` is not the one it was made with.
fn unwrap(kek: &[u8; 32], nonce: &[u8], wrapped: &[u8], aad: &str) -> Option<Zeroizing<Vec<u8>>> {
    XChaCha20Poly1305::new(kek.into())
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: wrapped,
                aad: aad.as_bytes(),
            },
        )
        .ok()
        .map(Zeroizing::new)
}

/// Seals `key` to the X25519 `public_key`.
fn seal_to(public_key: &[u8], key: &DataKey) -> Result<Vec<u8>> {
    let public_key = PublicKey::from_slice(public_key)
        .map_err(|_| Error::VaultCorrupt("a key slot's public key has the wrong length".into()))?;
    public_key
        .seal(&mut OsRng, key.expose())
        .map_err(|_| Error::VaultCorrupt("cannot seal the data key".into()))
}

fn data_key(plain: &[u8], slot: &str) -> Result<DataKey> {
    let mut bytes: [u8; 32] = plain
        .try_into()
        .map_err(|_| Error::VaultCorrupt(format!("slot {slot} key length")))?;
    Ok(DataKey::from_bytes(&mut bytes))
}

/// Binds a version 2 slot's wrapped secret key to its vault and slot, so slots cannot be
/// swapped between vaults.
fn slot_aad(vault_id: &VaultId, slot_id: &str) -> String {
    format!("{FORMAT}:2:{vault_id}:{slot_id}")
}

/// What a version 1 slot's wrapped data key was bound to.
fn v1_aad(vault_id: &VaultId, slot_id: &str) -> String {
    format!("{FORMAT}:{vault_id}:{slot_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `passphrase` opens no slot of `header`.
    fn refuses(header: &mut Header, passphrase: &str) -> bool {
        matches!(header.open(&passphrase.into()), Err(Error::WrongPassphrase))
    }

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
    fn the_right_passphrase_opens_the_key_and_a_wrong_one_does_not() {
        let key = DataKey::generate();
        let mut header = Header::new(
            &key,
            "holder",
            &"right passphrase".into(),
            KdfParams::MINIMUM,
        )
        .unwrap();
        let opened = header.open(&"right passphrase".into()).unwrap();
        assert_eq!(opened.key, key);
        assert_eq!(opened.slot, "holder");
        assert!(opened.previous_key.is_none() && !opened.upgraded);
        assert!(refuses(&mut header, "wrong passphrase"));
    }

    #[test]
    fn a_slot_moved_to_another_vault_does_not_open() {
        let key = DataKey::generate();
        let mut header =
            Header::new(&key, "holder", &"pass phrase 1".into(), KdfParams::MINIMUM).unwrap();
        header.vault_id = VaultId::generate();
        assert!(refuses(&mut header, "pass phrase 1"));
    }

    #[test]
    fn weakened_cost_parameters_are_refused() {
        let key = DataKey::generate();
        let mut header =
            Header::new(&key, "holder", &"pass phrase 1".into(), KdfParams::MINIMUM).unwrap();
        header.slots[0].kdf.m_kib = 8;
        assert_eq!(
            header.open(&"pass phrase 1".into()).unwrap_err().code(),
            "kdf_out_of_bounds"
        );
    }

    /// A version 1 slot as the previous header format wrote it.
    fn v1_slot(vault_id: &VaultId, id: &str, key: &DataKey, passphrase: &str) -> KeySlot {
        let salt = vec![3u8; 16];
        let kek = KdfParams::MINIMUM
            .derive(&passphrase.into(), &salt)
            .unwrap();
        let nonce = random_nonce();
        let wrapped_key = wrap(&kek, &nonce, key.expose(), &v1_aad(vault_id, id)).unwrap();
        KeySlot {
            id: id.into(),
            kdf: KdfParams::MINIMUM,
            salt,
            nonce,
            lock: Lock::Wrapped { wrapped_key },
        }
    }

    #[test]
    fn a_version_1_slot_opens_and_becomes_version_2_after_a_round_trip() {
        let key = DataKey::generate();
        let mut header = Header::new(
            &key,
            "holder",
            &"holder passphrase".into(),
            KdfParams::MINIMUM,
        )
        .unwrap();
        header.slots.push(v1_slot(
            &header.vault_id,
            "user-2",
            &key,
            "old style passphrase",
        ));
        let json = header.to_json().unwrap();
        let mut read = Header::parse(std::str::from_utf8(&json).unwrap()).unwrap();
        assert!(matches!(read.slots[1].lock, Lock::Wrapped { .. }));
        assert_eq!(
            read.begin_rekey(&DataKey::generate()).unwrap_err().code(),
            "legacy_key_slots"
        );
        let opened = read.open(&"old style passphrase".into()).unwrap();
        assert!(opened.upgraded);
        assert_eq!((opened.slot.as_str(), &opened.key), ("user-2", &key));
        assert!(matches!(read.slots[1].lock, Lock::Sealed { .. }));
        let again = read.open(&"old style passphrase".into()).unwrap();
        assert!(!again.upgraded && again.key == key);
    }

    #[test]
    fn a_changed_passphrase_opens_the_same_key_and_the_old_one_no_longer_does() {
        let key = DataKey::generate();
        let mut header = Header::new(
            &key,
            "holder",
            &"first passphrase".into(),
            KdfParams::MINIMUM,
        )
        .unwrap();
        assert!(matches!(
            header.change_passphrase(
                "holder",
                &"not the passphrase".into(),
                &"second passphrase".into(),
                KdfParams::MINIMUM
            ),
            Err(Error::WrongPassphrase)
        ));
        header
            .change_passphrase(
                "holder",
                &"first passphrase".into(),
                &"second passphrase".into(),
                KdfParams::MINIMUM,
            )
            .unwrap();
        assert_eq!(header.open(&"second passphrase".into()).unwrap().key, key);
        assert!(refuses(&mut header, "first passphrase"));
    }

    #[test]
    fn a_rekey_seals_the_new_key_for_every_slot_and_ends_either_way() {
        let old = DataKey::generate();
        let new = DataKey::generate();
        let mut header = Header::new(
            &old,
            "holder",
            &"holder passphrase".into(),
            KdfParams::MINIMUM,
        )
        .unwrap();
        let user = SealedSlot::seal(
            &header.vault_id,
            "user-2",
            &old,
            &"user passphrase 2".into(),
            KdfParams::MINIMUM,
        )
        .unwrap();
        header.add_slot(user).unwrap();
        header.begin_rekey(&new).unwrap();
        assert!(header.rekey_pending());
        for passphrase in ["holder passphrase", "user passphrase 2"] {
            let opened = header.open(&passphrase.into()).unwrap();
            assert_eq!(
                (opened.key, opened.previous_key),
                (new.clone(), Some(old.clone()))
            );
        }
        let mut undone = header.clone();
        undone.finish_rekey(Generation::Previous);
        header.finish_rekey(Generation::Current);
        for (finished, key) in [(header, &new), (undone, &old)] {
            assert!(!finished.rekey_pending());
            let mut finished = finished;
            let opened = finished.open(&"user passphrase 2".into()).unwrap();
            assert_eq!((&opened.key, opened.previous_key), (key, None));
        }
    }
}
