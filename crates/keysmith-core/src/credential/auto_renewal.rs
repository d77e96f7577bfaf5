//! Auto-renewal settings of a credential: renew it this many days before it expires, tell
//! this recipient, and optionally call this URL. Stored now; the renewal itself is acted on by
//! the renewal service. The settings have their own table, so verification never reads them.

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::CredentialId;
use crate::error::{Error, Result};
use crate::outbound_url;
use crate::text::EmailAddress;

/// When and whom to renew for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct AutoRenewal {
    /// Renew this many days before expiry (1 to 364).
    pub days_before_expiry: u32,
    /// Who is told about each renewal.
    pub recipient: EmailAddress,
    /// Where the claim key of each renewal is POSTed, if anywhere.
    pub callback_url: Option<CallbackUrl>,
}

impl AutoRenewal {
    /// The furthest ahead of expiry a renewal may be scheduled.
    pub const MAX_DAYS_BEFORE: u32 = 364;

    /// Checks the day count; the other fields are valid by construction.
    pub fn validate(&self) -> Result<()> {
        if (1..=Self::MAX_DAYS_BEFORE).contains(&self.days_before_expiry) {
            Ok(())
        } else {
            Err(Error::InvalidAutoRenewal(format!(
                "renew between 1 and {} days before expiry",
                Self::MAX_DAYS_BEFORE
            )))
        }
    }
}

/// A callback URL: https, or http to a loopback address (for services on this machine); the
/// same rule as webhook URLs (`outbound_url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(into = "String")]
#[specta(type = String)]
pub struct CallbackUrl(String);

impl TryFrom<String> for CallbackUrl {
    type Error = Error;

    fn try_from(text: String) -> Result<Self> {
        outbound_url::check(&text)
            .map(CallbackUrl)
            .map_err(|why| Error::InvalidAutoRenewal(format!("callback URL: {why}")))
    }
}

impl From<CallbackUrl> for String {
    fn from(url: CallbackUrl) -> String {
        url.0
    }
}

/// The settings of `id`, if auto-renewal is on.
pub(super) fn load(conn: &Connection, id: CredentialId) -> Result<Option<AutoRenewal>> {
    let row: Option<(u32, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT days_before_expiry, recipient, callback_url FROM auto_renewals
             WHERE credential_id = ?1",
        )?
        .query_row([id.0], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    // Stored values were validated on the way in; re-wrap them without re-checking.
    Ok(row.map(|(days, recipient, url)| AutoRenewal {
        days_before_expiry: days,
        recipient: EmailAddress::from_stored(recipient),
        callback_url: url.map(CallbackUrl),
    }))
}

/// Turns auto-renewal on with `settings`, or off with `None`.
pub(super) fn save(
    conn: &Connection,
    id: CredentialId,
    settings: Option<&AutoRenewal>,
) -> Result<()> {
    match settings {
        Some(s) => conn
            .prepare_cached(
                "INSERT INTO auto_renewals (credential_id, days_before_expiry, recipient,
                                            callback_url)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (credential_id) DO UPDATE SET
                     days_before_expiry = excluded.days_before_expiry,
                     recipient = excluded.recipient,
                     callback_url = excluded.callback_url",
            )?
            .execute((
                id.0,
                s.days_before_expiry,
                s.recipient.as_str(),
                s.callback_url.as_ref().map(|u| &u.0),
            ))?,
        None => conn
            .prepare_cached("DELETE FROM auto_renewals WHERE credential_id = ?1")?
            .execute([id.0])?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Result<CallbackUrl> {
        CallbackUrl::try_from(text.to_owned())
    }

    #[test]
    fn callback_urls_are_https_or_loopback_http() {
        assert!(url("https://hooks.example.com/keysmith").is_ok());
        assert!(url("http://127.0.0.1:8080/renewed").is_ok());
        assert!(url("http://localhost/renewed").is_ok());
        assert!(url("http://[::1]/renewed").is_ok());
        for bad in [
            "http://hooks.example.com/x",
            "ftp://example.com",
            "not a url",
            "https://user:pw@example.com/",
        ] {
            assert_eq!(
                url(bad).unwrap_err().code(),
                "invalid_auto_renewal",
                "{bad}"
            );
        }
    }

    #[test]
    fn days_before_expiry_are_bounded() {
        let settings = |days| AutoRenewal {
            days_before_expiry: days,
            recipient: EmailAddress::try_from("ops@example.com".to_owned()).unwrap(),
            callback_url: None,
        };
        assert!(settings(1).validate().is_ok());
        assert!(settings(364).validate().is_ok());
        assert!(settings(0).validate().is_err());
        assert!(settings(365).validate().is_err());
    }
}
