//! Types for values that must not leak: [`Secret`] text (passphrases, tokens) and the vault's
//! [`DataKey`]. Both zeroize their memory on drop, have no `Display`, and print as `***` in
//! `Debug`. Reading a secret takes an explicit, greppable call: [`Secret::expose`].

use std::fmt;

use rand::{rngs::OsRng, RngCore};
use serde::{Deserialize, Deserializer, Serializer};
use zeroize::{Zeroize, Zeroizing};

/// Secret text: a passphrase or a token. Zeroized on drop. Across IPC it is a string the UI
/// sends (passphrases, a token to copy); only [`serialize_exposed`] sends one back.
#[derive(Clone, PartialEq, Eq, specta::Type)]
pub struct Secret(#[specta(type = String)] Zeroizing<String>);

impl Secret {
    /// Wraps text that must be kept secret.
    pub fn new(text: String) -> Self {
        Secret(Zeroizing::new(text))
    }

    /// The secret's text. Every call site is a place where a secret leaves this type: keep
    /// them few and never pass the result to a logger or an error.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Number of characters (not bytes), for length rules on passphrases.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Secret::new(text.to_owned())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// Serializes a secret's text. Only for the one response that reveals a new token; use it as
/// `#[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]`.
pub fn serialize_exposed<S: Serializer>(secret: &Secret, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose())
}

/// [`serialize_exposed`] for a secret that may be absent (`null` then).
pub fn serialize_exposed_option<S: Serializer>(
    secret: &Option<Secret>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serialize_exposed(secret, serializer),
        None => serializer.serialize_none(),
    }
}

/// The vault's random 256-bit data key: it keys SQLCipher and is what key slots wrap.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh key from the OS random source.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        DataKey(key)
    }

    /// Rebuilds a key from its bytes, zeroizing the source.
    pub fn from_bytes(bytes: &mut [u8; 32]) -> Self {
        let key = DataKey(Zeroizing::new(*bytes));
        bytes.zeroize();
        key
    }

    /// The raw key bytes, for wrapping and for SQLCipher's `PRAGMA key`.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_secret() {
        let secret = Secret::from("correct horse battery staple");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", DataKey::generate()), "DataKey(***)");
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(DataKey::generate(), DataKey::generate());
    }

    #[test]
    fn from_bytes_wipes_the_source() {
        let mut bytes = [7u8; 32];
        let key = DataKey::from_bytes(&mut bytes);
        assert_eq!(bytes, [0u8; 32]);
        assert_eq!(key.expose(), &[7u8; 32]);
    }
}
