//! What the vault stores instead of a token: HMAC-SHA256 keyed with the vault's pepper, a random
//! 32-byte value that lives only inside the encrypted database. A stolen digest is useless
//! without the pepper, and the pepper is useless without the vault key.

use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, RngCore};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The vault's secret HMAC key for token digests.
pub(crate) struct Pepper {
    bytes: Zeroizing<[u8; 32]>,
    /// HMAC already keyed with the pepper: each digest clones it instead of redoing the key
    /// schedule (two SHA-256 blocks) on verify's hot path. It is as secret as the pepper and
    /// lives exactly as long.
    keyed: Hmac<Sha256>,
}

impl Pepper {
    /// A fresh pepper from the OS random source.
    pub(crate) fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(bytes.as_mut());
        Pepper::from_bytes(bytes)
    }

    /// The pepper as stored in the vault, or `None` if the stored value has the wrong length.
    pub(crate) fn from_stored(stored: &[u8]) -> Option<Self> {
        let array: [u8; 32] = stored.try_into().ok()?;
        Some(Pepper::from_bytes(Zeroizing::new(array)))
    }

    fn from_bytes(bytes: Zeroizing<[u8; 32]>) -> Self {
        // new_from_slice only fails for key lengths HMAC cannot take; 32 bytes always works.
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(bytes.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC accepts 32-byte keys"));
        Pepper { bytes, keyed }
    }

    /// The bytes to store inside the encrypted vault.
    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The digest under which a token is stored and looked up.
    pub(crate) fn digest(&self, token: &str) -> TokenDigest {
        let mut mac = self.keyed.clone();
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
    fn digest_is_hmac_sha256_keyed_with_the_pepper() {
        // The pre-keyed state must give what a freshly keyed HMAC gives, call after call.
        let pepper = Pepper::from_stored(&[0x0b; 32]).unwrap();
        let mut fresh = <Hmac<Sha256> as Mac>::new_from_slice(&[0x0b; 32]).unwrap();
        fresh.update(b"ks_pat_example");
        let expected: [u8; 32] = fresh.finalize().into_bytes().into();
        assert_eq!(pepper.digest("ks_pat_example").as_bytes(), &expected);
        assert_eq!(pepper.digest("ks_pat_example").as_bytes(), &expected);
    }

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
