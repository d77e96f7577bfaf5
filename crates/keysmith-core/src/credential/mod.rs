//! Credentials: the validated values a new one is made of ([`CredentialName`],
//! [`Description`], [`Expiry`]), what the vault keeps of one ([`Credential`]: never the
//! token), its lifecycle ([`Vault::issue`], [`Vault::revoke`]) and [`Vault::verify`].
//!
//! [`Vault::issue`]: crate::Vault::issue
//! [`Vault::revoke`]: crate::Vault::revoke
//! [`Vault::verify`]: crate::Vault::verify

mod auto_renewal;
mod edit;
mod lifecycle;
mod query;
mod store;
mod verify;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use auto_renewal::{AutoRenewal, CallbackUrl, EmailAddress};
pub use edit::CredentialEdit;
pub use lifecycle::Renewal;
pub use query::{CredentialQuery, SortKey};
pub use verify::{InactiveReason, Verification};

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::token::TokenKind;

/// A credential's row id in the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CredentialId(pub i64);

/// A credential's name: 1 to 100 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialName(String);

impl CredentialName {
    /// The longest name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Validates and trims a name.
    pub fn new(name: &str) -> Result<Self> {
        let name = name.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(Error::InvalidName {
                max: Self::MAX_CHARS,
            });
        }
        Ok(CredentialName(name.to_owned()))
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A credential's description: at most 1000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    /// The longest description, in characters.
    pub const MAX_CHARS: usize = 1000;

    /// Validates and trims a description.
    pub fn new(text: &str) -> Result<Self> {
        let text = text.trim();
        let got = text.chars().count();
        if got > Self::MAX_CHARS {
            return Err(Error::InvalidDescription {
                max: Self::MAX_CHARS,
                got,
            });
        }
        Ok(Description(text.to_owned()))
    }

    /// The description's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// When a credential stops working: after now and at most [`Expiry::MAX_DAYS`] days ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expiry(DateTime<Utc>);

impl Expiry {
    /// The furthest an expiry may lie ahead, in days.
    pub const MAX_DAYS: i64 = 365;

    /// Validates an expiry instant against `now`.
    pub fn new(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Self> {
        if at <= now {
            return Err(Error::ExpiryInPast);
        }
        if at - now > Duration::days(Self::MAX_DAYS) {
            let ahead = at - now;
            // Round up so that "366 days and an hour" reads as 367, never as the allowed 365.
            let days = ahead.num_days() + i64::from(ahead > Duration::days(ahead.num_days()));
            return Err(Error::ExpiryTooFar {
                max: Self::MAX_DAYS,
                days,
            });
        }
        Ok(Expiry(at))
    }

    /// An expiry at the start (00:00 UTC) of `date`: the first day the credential no longer
    /// works. Tomorrow is the earliest such date and today + 365 days the latest.
    pub fn on_date(date: NaiveDate, now: DateTime<Utc>) -> Result<Self> {
        Self::new(date.and_time(chrono::NaiveTime::MIN).and_utc(), now)
    }

    /// The instant.
    pub fn at(&self) -> DateTime<Utc> {
        self.0
    }
}

/// What it takes to issue a credential; every field is already valid.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// Its name.
    pub name: CredentialName,
    /// Its description.
    pub description: Description,
    /// When it expires.
    pub expiry: Expiry,
}

/// A credential as the vault keeps it: everything but the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credential {
    /// Row id.
    pub id: CredentialId,
    /// What kind of token it is.
    pub kind: TokenKind,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The token's prefix and first characters (`ks_pat_a1B2…`), to recognise it by.
    pub token_hint: String,
    /// When it was issued.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it last verified successfully.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was disabled, while it is.
    pub disabled_at: Option<DateTime<Utc>>,
    /// The credential this one renewed, if it is a renewal.
    pub renewed_from: Option<CredentialId>,
}

/// Where a credential stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Verifies.
    Active,
    /// Switched off for now; can be enabled again.
    Disabled,
    /// Revoked: permanently refused.
    Revoked,
    /// Past its expiry.
    Expired,
}

impl Credential {
    /// Its status at `now`: revoked outranks expired, which outranks disabled.
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        if self.revoked_at.is_some() {
            Status::Revoked
        } else if self.expires_at <= now {
            Status::Expired
        } else if self.disabled_at.is_some() {
            Status::Disabled
        } else {
            Status::Active
        }
    }

    /// Whole days since it was issued.
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {
        (now - self.created_at).num_days()
    }

    /// Whole days until it expires (negative once expired).
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        (self.expires_at - now).num_days()
    }
}

/// A newly issued credential and its token. The token is in memory only here, and only once.
#[derive(Debug)]
pub struct Issued {
    /// What the vault stored.
    pub credential: Credential,
    /// The token to reveal once; the vault keeps only its keyed digest.
    pub token: Secret,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 15, 30, 0).unwrap()
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            CredentialName::new("  ci deploy ").unwrap().as_str(),
            "ci deploy"
        );
        assert!(CredentialName::new("   ").is_err());
        assert!(CredentialName::new(&"x".repeat(100)).is_ok());
        assert_eq!(
            CredentialName::new(&"x".repeat(101)).unwrap_err().code(),
            "invalid_name"
        );
        assert!(CredentialName::new("tab\there").is_err());
        assert!(Description::new(&"é".repeat(1000)).is_ok());
        assert_eq!(
            Description::new(&"é".repeat(1001)).unwrap_err().code(),
            "invalid_description"
        );
    }

    #[test]
    fn expiry_dates_run_from_tomorrow_to_a_year_ahead() {
        let today = now().date_naive();
        assert_eq!(
            Expiry::on_date(today, now()).unwrap_err().code(),
            "expiry_in_past"
        );
        assert!(Expiry::on_date(today + Duration::days(1), now()).is_ok());
        assert!(Expiry::on_date(today + Duration::days(365), now()).is_ok());
        match Expiry::on_date(today + Duration::days(366), now()) {
            Err(Error::ExpiryTooFar { max: 365, days }) => assert_eq!(days, 366),
            other => panic!("expected expiry_too_far, got {other:?}"),
        }
    }

    #[test]
    fn expiry_instants_are_capped_at_exactly_365_days() {
        assert!(Expiry::new(now() + Duration::days(365), now()).is_ok());
        let err = Expiry::new(now() + Duration::days(365) + Duration::seconds(1), now());
        assert!(matches!(err, Err(Error::ExpiryTooFar { days: 366, .. })));
        assert!(Expiry::new(now(), now()).is_err());
    }

    #[test]
    fn the_message_names_the_chosen_days() {
        let err = Expiry::new(now() + Duration::days(400), now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Expiry must be within 365 days; you chose 400"
        );
    }
}
