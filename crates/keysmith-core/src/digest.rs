//! What the vault stores instead of a token: HMAC-SHA256 keyed with the vault's pepper, a random
//! 32-byte value that lives only inside the encrypted database. A stolen digest is useless
//! without the pepper, and the pepper is useless without the vault key.

use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, RngCore};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The vault's secret HMAC key for token digests.
pub(crate) struct Pepper(Zeroizing<[u8; 32]>);

impl Pepper {
    /// A fresh pepper from the OS random source.
    pub(crate) fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        Pepper(bytes)
    }

    /// The pepper as stored in the vault, or `None` if the stored value has the wrong length.
    pub(crate) fn from_stored(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Pepper(Zeroizing::new(array)))
    }

    /// The bytes to store inside the encrypted vault.
    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The digest under which a token is stored and looked up.
    pub(crate) fn digest(&self, token: &str) -> TokenDigest {
        // new_from_slice only fails for key lengths HMAC cannot take; 32 bytes always works.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC accepts 32-byte keys"));
        mac.update(token.as_bytes());
        TokenDigest(mac.finalize().into_bytes().into())
    }
}

/// HMAC-SHA256(pepper, token): the only form of a token the vault keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// The digest bytes, for storage and index lookup.
    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Compares with a stored digest in constant time.
    pub(crate) fn matches(&self, stored: &[u8]) -> bool {
        stored.len() == self.0.len() && bool::from(self.0.ct_eq(stored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_depends_on_pepper_and_token() {
        let (a, b) = (Pepper::generate(), Pepper::generate());
        let token = "ks_pat_example";
        assert!(a.digest(token).matches(a.digest(token).as_bytes()));
        assert!(!a.digest(token).matches(b.digest(token).as_bytes()));
        assert!(!a.digest(token).matches(a.digest("ks_pat_other").as_bytes()));
        assert!(!a.digest(token).matches(&a.digest(token).as_bytes()[..31]));
    }
}
