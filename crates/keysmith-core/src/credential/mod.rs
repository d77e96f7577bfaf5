//! Credentials: what a new one is made of ([`NewCredential`]: kind, owner, scopes, rights,
//! applications, rate limit, [`Expiry`]), what the vault keeps of one ([`Credential`]: never
//! the secret), its lifecycle ([`Vault::issue`], [`Vault::revoke`], …) and [`Vault::verify`].
//!
//! [`Vault::issue`]: crate::Vault::issue
//! [`Vault::revoke`]: crate::Vault::revoke
//! [`Vault::verify`]: crate::Vault::verify

mod access;
mod auto_renewal;
mod edit;
mod health;
mod hot;
mod identify;
mod lifecycle;
mod offboarding;
mod query;
mod reminder;
mod renewal;
mod restrictions;
pub(crate) mod store;
mod usage;
mod use_leases;
mod verify;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::ids::CredentialId;
pub use access::{AccessGrant, AuthenticatedClient};
pub use auto_renewal::{AutoRenewal, CallbackUrl};
pub use edit::CredentialEdit;
pub use health::{HealthCheck, HealthCount, EXPIRING_DAYS, OLD_DAYS, UNUSED_DAYS};
pub(crate) use hot::VerifyCache;
pub(crate) use lifecycle::{require_api_access, require_scopes_held};
pub use lifecycle::{BulkAction, BulkOutcome, Renewal, RenewalPlan};
pub use offboarding::Offboarding;
pub use query::{CredentialPage, CredentialQuery, SortKey};
pub use reminder::ExpiryReminder;
pub(crate) use reminder::{raise as raise_reminder, trim as trim_reminders};
pub use renewal::{Handover, Redeemed, CLAIM_RESENT_AFTER, CLAIM_VALID, GRACE_AFTER_REDEMPTION};
pub use restrictions::{IpAllowlist, Refill, Restrictions, UsageLimit, Uses, MAX_ALLOWED_IPS};
pub use usage::UsageRecorder;
pub use use_leases::MAX_LEASE;
pub(crate) use use_leases::{GiveBack, Taken, UseLeases};
pub use verify::{ActingAs, InactiveReason, Verification, VerificationRequest, Verified};

use crate::error::{Error, Result};
use crate::people::{Permission, UserId};
use crate::secret::Secret;
use crate::text::{Description, Name};
use crate::token::TokenKind;

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

    /// [`Expiry::on_date`] of a date written `YYYY-MM-DD`, as forms and the command line take
    /// it.
    pub fn parse_date(text: &str, now: DateTime<Utc>) -> Result<Self> {
        let date = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map_err(|_| Error::InvalidDate(text.chars().take(40).collect()))?;
        Self::on_date(date, now)
    }

    /// The instant.
    pub fn at(&self) -> DateTime<Utc> {
        self.0
    }
}

/// What a credential may do with the scopes it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Rights {
    /// Read only: write scopes are never granted.
    Read,
    /// Read and write.
    #[default]
    ReadWrite,
}

impl Rights {
    /// The stable name stored in the vault.
    pub fn as_str(self) -> &'static str {
        match self {
            Rights::Read => "read",
            Rights::ReadWrite => "read_write",
        }
    }

    fn from_name(name: &str) -> Option<Rights> {
        [Rights::Read, Rights::ReadWrite]
            .into_iter()
            .find(|rights| rights.as_str() == name)
    }
}

/// Requests per minute a credential may be verified with: 1 to 10,000, 30 unless chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RateLimit(u32);

impl RateLimit {
    /// The limit when none is chosen.
    pub const DEFAULT: RateLimit = RateLimit(30);
    /// The smallest limit.
    pub const MIN: u32 = 1;
    /// The largest limit.
    pub const MAX: u32 = 10_000;

    /// Validates a limit.
    pub fn new(per_minute: u32) -> Result<Self> {
        if (Self::MIN..=Self::MAX).contains(&per_minute) {
            Ok(RateLimit(per_minute))
        } else {
            Err(Error::InvalidRateLimit {
                min: Self::MIN,
                max: Self::MAX,
            })
        }
    }

    /// Requests per minute.
    pub const fn per_minute(self) -> u32 {
        self.0
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What it takes to issue a credential. Each value is valid in shape; how it fits the vault
/// (the owner exists and has API access, holds every scope, the applications are in the
/// catalogue, the operator may issue for the owner) is checked when it is issued.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// Its kind.
    pub kind: TokenKind,
    /// The user it is bound to; `None` only for an organization token.
    pub owner: Option<UserId>,
    /// Its name.
    pub name: Name,
    /// Its description.
    pub description: Description,
    /// When it expires.
    pub expiry: Expiry,
    /// The permissions it grants, from the owner's (none for an API client, which carries
    /// the owner's permissions themselves).
    pub scopes: Vec<Permission>,
    /// Read only, or read and write.
    pub rights: Rights,
    /// The applications it may be used for (at least one, from the catalogue).
    pub applications: Vec<Name>,
    /// Its rate limit.
    pub rate_limit: RateLimit,
    /// Its usage limit and the addresses it may be used from.
    pub restrictions: Restrictions,
    /// Issued switched off (disabled): handed over now, it verifies once enabled.
    pub disabled: bool,
}

/// A new credential's fields as a person or a program asks for them, before validation —
/// everything but its expiry. [`CredentialFields::validate`] is the one way from such a
/// request to a [`NewCredential`]: the app's form, the command line and renewals use it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, specta::Type, Serialize)]
pub struct CredentialFields {
    /// Its kind.
    pub kind: TokenKind,
    /// The owner's user id; absent for an organization token.
    pub owner_id: Option<UserId>,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// The permissions it grants.
    pub scopes: Vec<String>,
    /// Read only, or read and write.
    pub rights: Rights,
    /// The applications it may be used for.
    pub applications: Vec<String>,
    /// Requests per minute; the default when absent.
    pub rate_limit: Option<u32>,
    /// Successful verifications it may have; unlimited when absent.
    #[serde(default)]
    pub max_uses: Option<u32>,
    /// When those uses fill up again; never when absent.
    #[serde(default)]
    pub refill: Option<Refill>,
    /// The addresses and CIDR ranges it may be used from; anywhere when empty.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
}

impl CredentialFields {
    /// Checks the shape of every field and makes the credential expiring at `expiry`.
    pub fn validate(&self, expiry: Expiry) -> Result<NewCredential> {
        Ok(NewCredential {
            kind: self.kind,
            owner: self.owner_id,
            name: Name::new(&self.name)?,
            description: Description::new(&self.description)?,
            expiry,
            scopes: self
                .scopes
                .iter()
                .map(|scope| Permission::new(scope))
                .collect::<Result<_>>()?,
            rights: self.rights,
            applications: self
                .applications
                .iter()
                .map(|application| Name::new(application))
                .collect::<Result<_>>()?,
            rate_limit: self
                .rate_limit
                .map_or(Ok(RateLimit::default()), RateLimit::new)?,
            restrictions: Restrictions::from_fields(self.max_uses, self.refill, &self.allowed_ips)?,
            disabled: false,
        })
    }
}

/// A new credential as the form or the command line asks for it: its fields and the day it
/// expires.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, specta::Type, Serialize)]
pub struct IssueRequest {
    /// Everything but the expiry.
    #[serde(flatten)]
    pub fields: CredentialFields,
    /// The first day it no longer works, `YYYY-MM-DD` (UTC).
    pub expires_on: String,
    /// Issue it switched off, to be enabled when the integration goes live.
    #[serde(default)]
    pub disabled: bool,
}

impl IssueRequest {
    /// The credential asked for, every field checked, expiring at the start of `expires_on`
    /// as seen at `now`.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<NewCredential> {
        Ok(NewCredential {
            disabled: self.disabled,
            ..self
                .fields
                .validate(Expiry::parse_date(&self.expires_on, now)?)?
        })
    }
}

/// A credential as the vault keeps it: everything but the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
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
    /// The user it is bound to; `None` for an organization token.
    pub owner_id: Option<UserId>,
    /// That user's name, as of now.
    pub owner_name: Option<String>,
    /// The scopes chosen at issue (empty for an API client, which carries its owner's
    /// permissions); what verifies is their intersection with the owner's permissions now.
    pub scopes: Vec<String>,
    /// Read only, or read and write.
    pub rights: Rights,
    /// The applications it may be used for.
    pub applications: Vec<String>,
    /// Requests per minute.
    pub rate_limit: u32,
    /// The client ID of client credentials (shown always; the secret is shown once).
    pub client_id: Option<String>,
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
    /// When it was renewed, if it was: it has stepped aside for its successor and ends at
    /// its expiry.
    pub renewed_at: Option<DateTime<Utc>>,
    /// The credential that renewed it, while that one exists.
    pub superseded_by: Option<CredentialId>,
    /// Why its owner cannot use it now, when they cannot: their API access is off, or groups
    /// block it. `None` for an owner with API access and for organization tokens.
    pub blocked: Option<OwnerBlock>,
    /// Its usage limit as it stands; absent when it has none.
    pub usage: Option<Uses>,
    /// The addresses and CIDR ranges it may be used from; anywhere when empty.
    pub allowed_ips: Vec<String>,
}

/// Why a credential's owner has no API access, and so the credential does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct OwnerBlock {
    /// The owner's own "API access" switch is off.
    pub access_off: bool,
    /// The groups of the owner that block API access, by name (sorted).
    pub groups: Vec<String>,
}

impl OwnerBlock {
    /// Why, in words: "blocked by Contractors, Vendors", "API access off", or both.
    pub fn reason(&self) -> String {
        let mut parts = Vec::new();
        if self.access_off {
            parts.push("API access off".to_owned());
        }
        if !self.groups.is_empty() {
            parts.push(format!("blocked by {}", self.groups.join(", ")));
        }
        parts.join("; ")
    }
}

/// Within how many days of its expiry a credential that verifies is [`Status::ExpiringSoon`].
pub const EXPIRING_SOON_DAYS: u32 = 7;

/// Where a credential stands now: what verification would answer for it, given no scope,
/// application or address. Exactly one applies, in this order of precedence: revoked,
/// expired, disabled, blocked, superseded, expiring soon, active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Verifies, and expires more than [`EXPIRING_SOON_DAYS`] days from now.
    Active,
    /// Verifies, and expires within [`EXPIRING_SOON_DAYS`] days.
    ExpiringSoon,
    /// Renewed: still verifies until its end date, then its successor alone does.
    Superseded,
    /// Refused because its owner has no API access (switched off, or blocked by a group).
    Blocked,
    /// Switched off for now; can be enabled again.
    Disabled,
    /// Past its expiry.
    Expired,
    /// Revoked: permanently refused.
    Revoked,
}

impl Status {
    /// Every status, in the order of precedence's reverse: the order a status sort walks.
    pub const ALL: [Status; 7] = [
        Status::Active,
        Status::ExpiringSoon,
        Status::Superseded,
        Status::Blocked,
        Status::Disabled,
        Status::Expired,
        Status::Revoked,
    ];

    /// The stable name, as serialized: `active`, `expiring_soon`, `superseded`, `blocked`,
    /// `disabled`, `expired` or `revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::ExpiringSoon => "expiring_soon",
            Status::Superseded => "superseded",
            Status::Blocked => "blocked",
            Status::Disabled => "disabled",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
        }
    }

    /// The status named `name` (as [`Status::as_str`] gives it).
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
    }

    /// Whether a credential in this status verifies now.
    pub fn verifies(self) -> bool {
        matches!(
            self,
            Status::Active | Status::ExpiringSoon | Status::Superseded
        )
    }
}

impl Credential {
    /// Its status at `now`, with its owner's access as read with it.
    pub fn status(&self, now: DateTime<Utc>) -> Status {
        self.status_given(now, self.blocked.is_some())
    }

    /// Its status at `now` given whether its owner lacks API access: the one place a status
    /// is worked out (verification asks it with the owner's access as it has it cached; the
    /// listing's SQL conditions are the same rules, tested against this).
    pub(crate) fn status_given(&self, now: DateTime<Utc>, owner_blocked: bool) -> Status {
        if self.revoked_at.is_some() {
            Status::Revoked
        } else if self.expires_at <= now {
            Status::Expired
        } else if self.disabled_at.is_some() {
            Status::Disabled
        } else if owner_blocked {
            Status::Blocked
        } else if self.renewed_at.is_some() {
            Status::Superseded
        } else if self.expires_at <= now + Duration::days(i64::from(EXPIRING_SOON_DAYS)) {
            Status::ExpiringSoon
        } else {
            Status::Active
        }
    }

    /// What `status` (this credential's) needs said beside it: who blocks the owner ("blocked
    /// by Contractors"), or that it was renewed and when it ends ("renewed; ends 2026-12-10
    /// 00:00 UTC"); empty for the other statuses.
    pub fn status_note(&self, status: Status) -> String {
        match (status, &self.blocked) {
            (Status::Blocked, Some(block)) => block.reason(),
            (Status::Superseded, _) => format!(
                "renewed; ends {}",
                self.expires_at.format("%Y-%m-%d %H:%M UTC")
            ),
            _ => String::new(),
        }
    }

    /// Whole days since it was issued.
    pub fn age_days(&self, now: DateTime<Utc>) -> i64 {
        (now - self.created_at).num_days()
    }

    /// Calendar days (UTC) from today to its expiry date: 30 for one issued today with
    /// the 30-day preset, 1 for one that stops at the coming midnight, 0 or less once
    /// expired.
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        (self.expires_at.date_naive() - now.date_naive()).num_days()
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
    fn rate_limits_run_from_1_to_10000() {
        assert_eq!(RateLimit::default().per_minute(), 30);
        assert!(RateLimit::new(1).is_ok() && RateLimit::new(10_000).is_ok());
        for bad in [0, 10_001] {
            assert_eq!(
                RateLimit::new(bad).unwrap_err().code(),
                "invalid_rate_limit"
            );
        }
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
