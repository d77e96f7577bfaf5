//! Standard Webhooks signatures (standardwebhooks.com): a webhook's secret is `whsec_` and the
//! base64 of 32 random bytes; a delivery carries `webhook-signature: v1,<base64 of
//! HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, one such entry per secret that signs
//! (two while a rolled secret still does), separated by spaces.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::{rngs::OsRng, RngCore};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::secret::Secret;

/// The prefix of every signing secret.
const PREFIX: &str = "whsec_";

/// A signing key: the raw bytes behind a `whsec_…` secret. Zeroized on drop.
#[derive(Clone)]
pub struct SigningKey(Zeroizing<Vec<u8>>);

impl SigningKey {
    /// A fresh key of 32 random bytes.
    pub(crate) fn generate() -> SigningKey {
        let mut bytes = Zeroizing::new(vec![0u8; 32]);
        OsRng.fill_bytes(&mut bytes);
        SigningKey(bytes)
    }

    /// The key as stored.
    pub(crate) fn from_stored(bytes: Vec<u8>) -> SigningKey {
        SigningKey(Zeroizing::new(bytes))
    }

    /// The bytes to store.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as the receiver configures it: `whsec_<base64>`.
    pub fn to_secret(&self) -> Secret {
        Secret::new(format!("{PREFIX}{}", STANDARD.encode(self.bytes())))
    }

    /// One `v1,<signature>` entry for the message `id` sent at `timestamp` with `body`.
    fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.bytes()).expect("HMAC accepts keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(***)")
    }
}

/// The meta entry holding the vault's renewal signing key.
const RENEWAL_KEY: &str = "renewal_signing_key";

/// The key renewal callbacks are signed with: one per vault, made the first time it is
/// needed (in the caller's transaction).
pub(crate) fn renewal_key(conn: &rusqlite::Connection) -> crate::error::Result<SigningKey> {
    use rusqlite::OptionalExtension;
    let stored: Option<Vec<u8>> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([RENEWAL_KEY], |row| row.get(0))
        .optional()?;
    if let Some(bytes) = stored {
        return Ok(SigningKey::from_stored(bytes));
    }
    let key = SigningKey::generate();
    conn.prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2)")?
        .execute((RENEWAL_KEY, key.bytes()))?;
    Ok(key)
}

/// The `webhook-signature` header's value: an entry per key, newest first.
pub fn signature_header(keys: &[SigningKey], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|key| key.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example in the Standard Webhooks specification's reference tests.
    #[test]
    fn signs_as_the_specification_example() {
        let key =
            SigningKey::from_stored(STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap());
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature_header(&[key], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_are_whsec_and_32_bytes() {
        let secret = SigningKey::generate().to_secret();
        let encoded = secret.expose().strip_prefix("whsec_").unwrap();
        assert_eq!(STANDARD.decode(encoded).unwrap().len(), 32);
    }
}
