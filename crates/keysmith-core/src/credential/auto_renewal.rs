//! Auto-renewal settings of a credential: renew it every this many days (counted from its
//! issue; shorter than its lifetime, so a renewal always comes before expiry), tell this
//! recipient, and optionally call this URL. Stored now; the renewal itself is acted on by
//! the renewal service. The settings have their own table, so verification never reads them.

use chrono::Duration;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::CredentialId;
use crate::error::{Error, Result};
use crate::outbound_url;
use crate::text::EmailAddress;

/// When and whom to renew for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct AutoRenewal {
    /// Renew every this many days (1 to 364), counted from the credential's issue.
    pub every_days: u32,
    /// Who is told about each renewal.
    pub recipient: EmailAddress,
    /// Where the claim key of each renewal is POSTed, if anywhere.
    pub callback_url: Option<CallbackUrl>,
}

impl AutoRenewal {
    /// The longest renewal period, in days.
    pub const MAX_EVERY_DAYS: u32 = 364;

    /// Checks the period: 1 to 364 days, and shorter than `lifetime` (the credential's), so
    /// that the renewal comes before the expiry. The other fields are valid by construction.
    pub fn validate(&self, lifetime: Duration) -> Result<()> {
        self.check_range()?;
        if Duration::days(i64::from(self.every_days)) >= lifetime {
            return Err(Error::RenewalPeriodTooLong {
                every: self.every_days,
                lifetime: lifetime.num_days(),
            });
        }
        Ok(())
    }

    /// Checks the period against 1 to 364 days, whatever the credential.
    pub(super) fn check_range(&self) -> Result<()> {
        if (1..=Self::MAX_EVERY_DAYS).contains(&self.every_days) {
            Ok(())
        } else {
            Err(Error::InvalidAutoRenewal(format!(
                "renew every 1 to {} days",
                Self::MAX_EVERY_DAYS
            )))
        }
    }

    /// These settings for a credential of `lifetime` (a renewal's successor): the period
    /// shortened to fit it if need be; `None` when no period fits (a lifetime of a day).
    pub(super) fn fitted_to(&self, lifetime: Duration) -> Option<AutoRenewal> {
        let longest = u32::try_from(lifetime.num_days()).unwrap_or(0);
        let longest = if Duration::days(i64::from(longest)) == lifetime {
            longest.saturating_sub(1)
        } else {
            longest
        };
        (longest >= 1).then(|| AutoRenewal {
            every_days: self.every_days.min(longest),
            ..self.clone()
        })
    }
}

/// A callback URL: https, or http to a loopback address (for services on this machine); the
/// same rule as webhook URLs (`outbound_url`). A private address or this machine only where
/// the account holder allows them (checked when it is saved, and when it is sent to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
#[serde(into = "String", try_from = "String")]
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
            "SELECT every_days, recipient, callback_url FROM auto_renewals
             WHERE credential_id = ?1",
        )?
        .query_row([id.0], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    // Stored values were validated on the way in; re-wrap them without re-checking.
    Ok(row.map(|(days, recipient, url)| AutoRenewal {
        every_days: days,
        recipient: EmailAddress::from_stored(recipient),
        callback_url: url.map(CallbackUrl),
    }))
}

/// Turns auto-renewal on with `settings`, or off with `None`. A callback URL that names a
/// private address or this machine is refused unless the account holder allows those.
pub(super) fn save(
    conn: &Connection,
    id: CredentialId,
    settings: Option<&AutoRenewal>,
) -> Result<()> {
    let callback = settings.and_then(|s| s.callback_url.as_ref());
    if callback.is_some_and(|url| outbound_url::names_private(&url.0))
        && !crate::settings::private_callbacks_allowed(conn)?
    {
        return Err(Error::InvalidAutoRenewal(
            "callback URL: a private address or this computer; the account holder can allow \
             those in Settings → Callback addresses"
                .into(),
        ));
    }
    match settings {
        Some(s) => conn
            .prepare_cached(
                "INSERT INTO auto_renewals (credential_id, every_days, recipient, callback_url)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (credential_id) DO UPDATE SET
                     every_days = excluded.every_days,
                     recipient = excluded.recipient,
                     callback_url = excluded.callback_url",
            )?
            .execute((
                id.0,
                s.every_days,
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
    fn the_period_is_a_day_to_364_and_shorter_than_the_lifetime() {
        let settings = |days| AutoRenewal {
            every_days: days,
            recipient: EmailAddress::try_from("ops@example.com".to_owned()).unwrap(),
            callback_url: None,
        };
        let year = Duration::days(365);
        assert!(settings(1).validate(year).is_ok());
        assert!(settings(364).validate(year).is_ok());
        assert!(settings(0).validate(year).is_err());
        assert!(settings(365).validate(year).is_err());
        let month = Duration::days(30);
        assert!(settings(29).validate(month).is_ok());
        assert_eq!(
            settings(30).validate(month).unwrap_err().code(),
            "renewal_period_too_long"
        );
        // Carried to a shorter-lived successor, the period shrinks to fit; a day fits none.
        assert_eq!(settings(60).fitted_to(month).unwrap().every_days, 29);
        assert_eq!(settings(7).fitted_to(month).unwrap().every_days, 7);
        let day_and_an_hour = Duration::days(1) + Duration::hours(1);
        assert_eq!(
            settings(7).fitted_to(day_and_an_hour).unwrap().every_days,
            1
        );
        assert!(settings(7).fitted_to(Duration::days(1)).is_none());
    }
}
