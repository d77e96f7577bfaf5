//! Where a device key is kept: the OS keychain, or — where there is none, or the user gives a
//! passphrase — a file beside the profile, sealed with that passphrase (argon2id, then
//! XChaCha20-Poly1305). A stolen laptop gives an attacker the sealed file: nothing without the
//! passphrase, or the OS account for the keychain; and the device can be removed from People.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use keysmith_core::team::proof::DeviceKey;
use keysmith_core::Secret;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::ClientError;

/// The keychain service device keys are kept under (the account is the profile's name).
const SERVICE: &str = "keysmith-device";
/// argon2id costs for a sealed key: OWASP's second recommendation (19 MiB, two passes).
const M_KIB: u32 = 19 * 1024;
const T: u32 = 2;

/// A device key sealed with a passphrase, as its file holds it.
#[derive(Debug, Serialize, Deserialize)]
struct Sealed {
    version: u32,
    m_kib: u32,
    t: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// The sealed file of profile `name` in `folder`.
pub fn sealed_path(folder: &Path, name: &str) -> PathBuf {
    folder.join(format!("{name}.key"))
}

fn derive(
    passphrase: &Secret,
    salt: &[u8],
    m_kib: u32,
    t: u32,
) -> Result<Zeroizing<[u8; 32]>, ClientError> {
    // Bounded, so a damaged or hostile file cannot ask for a gigabyte or a day.
    if !(8..=1024 * 1024).contains(&m_kib) || !(1..=100).contains(&t) {
        return Err(ClientError::Profile(
            "The sealed device key asks for impossible costs".into(),
        ));
    }
    let params = Params::new(m_kib, t, 1, Some(32))
        .map_err(|error| ClientError::Profile(error.to_string()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.expose().as_bytes(), salt, key.as_mut())
        .map_err(|error| ClientError::Profile(error.to_string()))?;
    Ok(key)
}

/// Keeps `key` for profile `name`: sealed in a file in `folder` with `passphrase` when one is
/// given, else in the OS keychain.
pub fn keep(
    folder: &Path,
    name: &str,
    key: &DeviceKey,
    passphrase: Option<&Secret>,
) -> Result<(), ClientError> {
    let Some(passphrase) = passphrase else {
        let entry = keyring::Entry::new(SERVICE, name)
            .map_err(|error| ClientError::KeychainUnavailable(error.to_string()))?;
        return entry
            .set_secret(key.to_bytes().as_ref())
            .map_err(|error| ClientError::KeychainUnavailable(error.to_string()));
    };
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealing = derive(passphrase, &salt, M_KIB, T)?;
    let cipher = XChaCha20Poly1305::new(sealing.as_ref().into());
    let ciphertext = cipher
        .encrypt(XNonce::from_slice(&nonce), key.to_bytes().as_slice())
        .map_err(|_| ClientError::Profile("The device key could not be sealed".into()))?;
    let sealed = Sealed {
        version: 1,
        m_kib: M_KIB,
        t: T,
        salt: STANDARD.encode(salt),
        nonce: STANDARD.encode(nonce),
        ciphertext: STANDARD.encode(ciphertext),
    };
    crate::profile::make_private_folder(folder)?;
    let text = serde_json::to_vec_pretty(&sealed).unwrap_or_default();
    keysmith_core::export::write_private(&sealed_path(folder, name), &text)?;
    Ok(())
}

/// The key of profile `name`: from its sealed file in `folder` (which needs `passphrase`),
/// else from the OS keychain.
pub fn load(
    folder: &Path,
    name: &str,
    passphrase: Option<&Secret>,
) -> Result<DeviceKey, ClientError> {
    let path = sealed_path(folder, name);
    if !path.exists() {
        let entry = keyring::Entry::new(SERVICE, name)
            .map_err(|error| ClientError::KeychainUnavailable(error.to_string()))?;
        let bytes = Zeroizing::new(
            entry
                .get_secret()
                .map_err(|error| ClientError::KeychainUnavailable(error.to_string()))?,
        );
        let bytes: &[u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| ClientError::Profile("The keychain's device key is damaged".into()))?;
        return Ok(DeviceKey::from_bytes(bytes));
    }
    let passphrase = passphrase.ok_or(ClientError::PassphraseNeeded)?;
    let damaged = || ClientError::Profile(format!("{} is damaged", path.display()));
    let text = std::fs::read(&path).map_err(keysmith_core::Error::from)?;
    let sealed: Sealed = serde_json::from_slice(&text).map_err(|_| damaged())?;
    let decode = |text: &str| STANDARD.decode(text).map_err(|_| damaged());
    let (salt, nonce, ciphertext) = (
        decode(&sealed.salt)?,
        decode(&sealed.nonce)?,
        decode(&sealed.ciphertext)?,
    );
    if sealed.version != 1 || nonce.len() != 24 {
        return Err(damaged());
    }
    let sealing = derive(passphrase, &salt, sealed.m_kib, sealed.t)?;
    let cipher = XChaCha20Poly1305::new(sealing.as_ref().into());
    let bytes = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(&nonce), ciphertext.as_slice())
            .map_err(|_| ClientError::WrongPassphrase)?,
    );
    let bytes: &[u8; 32] = bytes.as_slice().try_into().map_err(|_| damaged())?;
    Ok(DeviceKey::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_with_its_passphrase_only_and_keeps_nothing_in_clear() {
        let dir = tempfile::tempdir().unwrap();
        let key = DeviceKey::generate();
        let passphrase = Secret::from("device passphrase here");
        keep(dir.path(), "team", &key, Some(&passphrase)).unwrap();
        let file = std::fs::read(sealed_path(dir.path(), "team")).unwrap();
        let raw = key.to_bytes();
        assert!(!file.windows(32).any(|window| window == raw.as_slice()));
        assert!(!String::from_utf8_lossy(&file).contains(&STANDARD.encode(raw.as_slice())));
        let opened = load(dir.path(), "team", Some(&passphrase)).unwrap();
        assert_eq!(opened.public_key(), key.public_key());
        assert!(matches!(
            load(
                dir.path(),
                "team",
                Some(&Secret::from("another passphrase"))
            ),
            Err(ClientError::WrongPassphrase)
        ));
        assert!(matches!(
            load(dir.path(), "team", None),
            Err(ClientError::PassphraseNeeded)
        ));
    }
}
