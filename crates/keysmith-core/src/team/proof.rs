//! What a device signs, and how the server checks it. A device proves itself twice:
//!
//! - to open a *session*: it signs a fresh challenge the server made, bound to the server's
//!   certificate fingerprint (a challenge relayed from another server is worth nothing);
//! - on every request of the session: it signs the session, a counter it has not used before,
//!   the request's path and the SHA-256 of its body. The server takes each counter once (within
//!   a window, for requests that arrive out of order), so a captured request cannot be played
//!   again, and a stolen session identifier is useless without the device key.
//!
//! Ed25519 (ed25519-dalek): small keys, deterministic signatures, no parameters to get wrong.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::invitation::Fingerprint;
use crate::error::{Error, Result};

/// A device's private key: generated on the device, never sent anywhere, wiped when dropped.
pub struct DeviceKey(SigningKey);

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(***)")
    }
}

impl DeviceKey {
    /// A new key from the OS random source.
    pub fn generate() -> DeviceKey {
        DeviceKey(SigningKey::generate(&mut rand::rngs::OsRng))
    }

    /// The key from its 32 secret bytes (as kept in the keychain or the sealed file).
    pub fn from_bytes(bytes: &[u8; 32]) -> DeviceKey {
        DeviceKey(SigningKey::from_bytes(bytes))
    }

    /// Its 32 secret bytes, to keep: the one place they leave this type.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public half the server knows the device by.
    pub fn public_key(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Signs the server's `challenge` to open a session with the server of `fingerprint`.
    pub fn sign_challenge(&self, challenge: &[u8], fingerprint: &Fingerprint) -> [u8; 64] {
        self.0
            .sign(&challenge_message(challenge, fingerprint))
            .to_bytes()
    }

    /// Signs request number `counter` of `session` to `path` with `body`, under the
    /// idempotency key `retry_key` when it has one (the same for every try of one change).
    pub fn sign_request(&self, request: &SignedRequest<'_>) -> [u8; 64] {
        self.0.sign(&request.message()).to_bytes()
    }
}

fn challenge_message(challenge: &[u8], fingerprint: &Fingerprint) -> Vec<u8> {
    let mut message = b"keysmith session v1\n".to_vec();
    message.extend_from_slice(&hex::encode(challenge).into_bytes());
    message.push(b'\n');
    message.extend_from_slice(&fingerprint.0);
    message
}

/// What a request's signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The session it belongs to.
    pub session: &'a str,
    /// Its number in the session, used once.
    pub counter: u64,
    /// Its path, `/v1/admin/<operation>`.
    pub path: &'a str,
    /// Its idempotency key, if it is one try of a change.
    pub retry_key: Option<&'a str>,
    /// Its body.
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    fn message(&self) -> Vec<u8> {
        format!(
            "keysmith request v1\n{}\n{}\n{}\n{}\n{}",
            self.session,
            self.counter,
            self.path,
            self.retry_key.unwrap_or("-"),
            hex::encode(Sha256::digest(self.body))
        )
        .into_bytes()
    }
}

/// Checks `signature` by the device with `public_key` over `message`.
fn check(public_key: &[u8; 32], message: &[u8], signature: &[u8]) -> Result<()> {
    let key = VerifyingKey::from_bytes(public_key).map_err(|_| Error::BadSignature)?;
    let signature = Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
    key.verify(message, &signature)
        .map_err(|_| Error::BadSignature)
}

/// Checks a device's signature over the session `challenge` of the server of `fingerprint`.
pub fn check_challenge(
    public_key: &[u8; 32],
    challenge: &[u8],
    fingerprint: &Fingerprint,
    signature: &[u8],
) -> Result<()> {
    check(
        public_key,
        &challenge_message(challenge, fingerprint),
        signature,
    )
}

/// Checks a device's signature over `request`.
pub fn check_request(
    public_key: &[u8; 32],
    request: &SignedRequest<'_>,
    signature: &[u8],
) -> Result<()> {
    check(public_key, &request.message(), signature)
}

/// The counters a session has used: the highest, and which of the 64 below it. A counter is
/// taken once; one more than 64 below the highest is refused (too old to tell).
#[derive(Debug, Default)]
pub struct Counters {
    highest: u64,
    seen_below: u64,
}

impl Counters {
    /// Takes `counter` if it was not used before: true; false for a replay or one too old.
    pub fn take(&mut self, counter: u64) -> bool {
        if counter == 0 {
            return false;
        }
        if counter > self.highest {
            let shift = counter - self.highest;
            self.seen_below = if shift >= 64 {
                0
            } else {
                (self.seen_below << shift) | (1 << (shift - 1))
            };
            // The previous highest is now `shift` below: its bit is set above.
            self.highest = counter;
            return true;
        }
        let below = self.highest - counter;
        if below == 0 || below > 64 {
            return false;
        }
        let bit = 1u64 << (below - 1);
        if self.seen_below & bit != 0 {
            return false;
        }
        self.seen_below |= bit;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_what_was_signed_only() {
        let key = DeviceKey::generate();
        let fingerprint = Fingerprint([3; 32]);
        let signature = key.sign_challenge(b"challenge", &fingerprint);
        let public = key.public_key();
        assert!(check_challenge(&public, b"challenge", &fingerprint, &signature).is_ok());
        assert!(check_challenge(&public, b"challengf", &fingerprint, &signature).is_err());
        assert!(check_challenge(&public, b"challenge", &Fingerprint([4; 32]), &signature).is_err());
        let other = DeviceKey::generate().public_key();
        assert!(check_challenge(&other, b"challenge", &fingerprint, &signature).is_err());

        let request = SignedRequest {
            session: "s1",
            counter: 7,
            path: "/v1/admin/list_credentials",
            retry_key: None,
            body: b"{}",
        };
        let signed = key.sign_request(&request);
        assert!(check_request(&public, &request, &signed).is_ok());
        for other in [
            SignedRequest {
                session: "s2",
                ..request
            },
            SignedRequest {
                counter: 8,
                ..request
            },
            SignedRequest {
                path: "/v1/admin/revoke_credential",
                ..request
            },
            SignedRequest {
                retry_key: Some("k1"),
                ..request
            },
            SignedRequest {
                body: b"{ }",
                ..request
            },
        ] {
            assert!(check_request(&public, &other, &signed).is_err());
        }
        assert!(check_request(&public, &request, &[0; 10]).is_err());
        let restored = DeviceKey::from_bytes(&key.to_bytes());
        assert_eq!(restored.public_key(), public);
        assert_eq!(format!("{key:?}"), "DeviceKey(***)");
    }

    #[test]
    fn each_counter_is_taken_once_in_any_order_within_the_window() {
        let mut counters = Counters::default();
        assert!(!counters.take(0));
        assert!(counters.take(1));
        assert!(!counters.take(1), "a replay");
        assert!(counters.take(3));
        assert!(counters.take(2), "late, but new");
        assert!(!counters.take(2));
        assert!(!counters.take(3));
        assert!(counters.take(100));
        assert!(!counters.take(35), "more than 64 below the highest");
        assert!(counters.take(36));
        assert!(!counters.take(36));
        assert!(counters.take(99));
        assert!(!counters.take(1), "too old");
        assert!(counters.take(200));
        assert!(!counters.take(100));
    }
}
