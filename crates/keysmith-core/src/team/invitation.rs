//! An invitation as it travels: one line that carries the team server's address, the SHA-256
//! fingerprint of its certificate (so the joining computer pins the server it meets first,
//! with no certificate authority in between), and the one-time secret. It is a secret itself:
//! shown once, pasted into the app or given to `keysmith join` on stdin, never on a command
//! line.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// What an invitation's secret starts with.
pub const SECRET_PREFIX: &str = "ks_inv_";
/// What an invitation's wire form starts with (its version).
const WIRE_PREFIX: &str = "ksinv1.";

/// The SHA-256 of a certificate (DER): what a device pins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of the certificate `der`.
    pub fn of(der: &[u8]) -> Fingerprint {
        Fingerprint(Sha256::digest(der).into())
    }
}

impl std::fmt::Display for Fingerprint {
    /// `SHA256:` and the hex bytes joined by colons, as `openssl x509 -fingerprint -sha256`
    /// prints them (upper case), to compare by eye.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hex: Vec<String> = self.0.iter().map(|byte| format!("{byte:02X}")).collect();
        write!(f, "SHA256:{}", hex.join(":"))
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = Error;

    /// Reads [`Fingerprint`]'s display form, or the bare hex (colons and case optional).
    fn from_str(text: &str) -> Result<Fingerprint> {
        let bare = text.trim();
        let bare = bare
            .strip_prefix("SHA256:")
            .unwrap_or(bare)
            .replace(':', "");
        let bytes = hex::decode(&bare)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| Error::InvalidFingerprint(text.chars().take(100).collect()))?;
        Ok(Fingerprint(bytes))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An invitation: where the server is, the certificate it answers with, the one-time secret.
#[derive(Debug)]
pub struct Invitation {
    /// The team server's base URL, `https://host:port`.
    pub server: String,
    /// Its certificate's fingerprint.
    pub fingerprint: Fingerprint,
    /// The one-time secret (`ks_inv_…`).
    pub secret: Secret,
}

impl Invitation {
    /// The one line to hand to the invitee.
    pub fn encode(&self) -> Secret {
        let hex = Zeroizing::new(hex::encode(self.fingerprint.0));
        let plain = Zeroizing::new(format!(
            "{}\n{}\n{}",
            self.server,
            hex.as_str(),
            self.secret.expose()
        ));
        Secret::new(format!(
            "{WIRE_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(plain.as_bytes())
        ))
    }

    /// Reads the line [`Invitation::encode`] made (surrounding white space ignored); anything
    /// else is [`Error::InvalidInvitation`], which never repeats the text.
    pub fn decode(text: &str) -> Result<Invitation> {
        let invalid = || Error::InvalidInvitation;
        let encoded = text.trim().strip_prefix(WIRE_PREFIX).ok_or_else(invalid)?;
        let plain = Zeroizing::new(URL_SAFE_NO_PAD.decode(encoded).map_err(|_| invalid())?);
        let plain = std::str::from_utf8(&plain).map_err(|_| invalid())?;
        let mut parts = plain.split('\n');
        let (Some(server), Some(fingerprint), Some(secret), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let well_formed = server.starts_with("https://")
            && secret.strip_prefix(SECRET_PREFIX).is_some_and(|random| {
                random.len() == crate::token::RANDOM_ID_CHARS
                    && random.bytes().all(|byte| byte.is_ascii_alphanumeric())
            });
        if !well_formed {
            return Err(invalid());
        }
        Ok(Invitation {
            server: server.to_owned(),
            fingerprint: fingerprint.parse().map_err(|_| invalid())?,
            secret: Secret::new(secret.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_travels_as_one_line_and_comes_back_whole() {
        let invitation = Invitation {
            server: "https://10.0.0.5:8443".into(),
            fingerprint: Fingerprint::of(b"certificate"),
            secret: Secret::new("ks_inv_abcdefghijklmnopqrstuv".into()),
        };
        let line = invitation.encode();
        assert!(
            line.expose().starts_with("ksinv1.") && !line.expose().contains(char::is_whitespace)
        );
        let back = Invitation::decode(&format!(" {}\n", line.expose())).unwrap();
        assert_eq!(back.server, invitation.server);
        assert_eq!(back.fingerprint, invitation.fingerprint);
        assert_eq!(back.secret.expose(), invitation.secret.expose());
    }

    #[test]
    fn damaged_or_foreign_lines_are_refused_without_echoing_them() {
        let good = Invitation {
            server: "https://127.0.0.1:8443".into(),
            fingerprint: Fingerprint([7; 32]),
            secret: Secret::new("ks_inv_abcdefghijklmnopqrstuv".into()),
        }
        .encode();
        let line = good.expose();
        let http = Invitation {
            server: "http://127.0.0.1:8443".into(),
            fingerprint: Fingerprint([7; 32]),
            secret: Secret::new("ks_inv_abcdefghijklmnopqrstuv".into()),
        }
        .encode();
        for bad in [
            "",
            "ks_inv_abcdefghijklmnopqrstuv",
            &line[..line.len() - 4],
            &line.replace("ksinv1.", "ksinv2."),
            http.expose(),
        ] {
            let error = Invitation::decode(bad).unwrap_err();
            assert!(matches!(error, Error::InvalidInvitation), "{bad}");
            assert!(!error.to_string().contains("ks_inv_"));
        }
    }

    #[test]
    fn fingerprints_read_back_from_what_they_print_and_from_bare_hex() {
        let fingerprint = Fingerprint::of(b"der");
        let printed = fingerprint.to_string();
        assert!(printed.starts_with("SHA256:") && printed.len() == 7 + 32 * 3 - 1);
        assert_eq!(printed.parse::<Fingerprint>().unwrap(), fingerprint);
        assert_eq!(
            hex::encode(fingerprint.0).parse::<Fingerprint>().unwrap(),
            fingerprint
        );
        assert!("SHA256:AB".parse::<Fingerprint>().is_err());
    }
}
