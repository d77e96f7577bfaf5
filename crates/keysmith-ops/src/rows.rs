//! What the credential operations answer: a credential as the inventory shows it, with the
//! values derived from it computed here for every door, and the one answer that carries a new
//! secret ([`Revealed`]).

use chrono::{DateTime, Utc};
use keysmith_core::audit::AuditEntry;
use keysmith_core::{AutoRenewal, Credential, CredentialId, Issued, Secret, Status, Vault};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A credential as the inventory shows it, with the derived values computed in one place.
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct CredentialRow {
    /// The credential.
    #[serde(flatten)]
    pub credential: Credential,
    /// Its status now.
    pub status: Status,
    /// What the status needs said beside it ("blocked by Contractors", "renewed by 12; ends
    /// …"); empty for most.
    pub status_note: String,
    /// Whole days since issue.
    pub age_days: i64,
    /// Calendar days (UTC) from today to the expiry date (0 or less once expired).
    pub days_left: i64,
    /// The uses left now, for a credential with a usage limit.
    pub uses_left: Option<u32>,
    /// Why the operator may not manage it (edit, renew, revoke, delete, switch), in a sentence;
    /// `None` when they may.
    pub refusal: Option<String>,
}

impl CredentialRow {
    /// The row for `credential` as `vault`'s operator sees it now.
    pub fn of(vault: &Vault, credential: Credential) -> keysmith_core::Result<Self> {
        let refusal = vault.why_not_manage(&credential)?;
        Ok(CredentialRow::new(credential, vault.now(), refusal))
    }

    /// The row for `credential` at `now`, `refusal` saying why its actions are not the
    /// operator's.
    pub fn new(credential: Credential, now: DateTime<Utc>, refusal: Option<String>) -> Self {
        let status = credential.status(now);
        CredentialRow {
            status,
            status_note: credential.status_note(status),
            age_days: credential.age_days(now),
            days_left: credential.days_left(now),
            uses_left: credential.usage.map(|usage| usage.left_at(now)),
            refusal,
            credential,
        }
    }
}

/// A page of the inventory.
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct CredentialListing {
    /// How many credentials the filters select, on every page.
    pub total: u32,
    /// This page's rows, in the query's order.
    pub rows: Vec<CredentialRow>,
}

/// The counts the window shows beside the inventory, whatever its filters.
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct CredentialCounts {
    /// How many credentials the vault holds.
    pub in_vault: u32,
    /// How many credentials are expiring soon (see [`Status::ExpiringSoon`]).
    pub expiring_soon: u32,
}

/// Everything the detail view shows of one credential.
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct CredentialDetail {
    /// The credential with its derived values.
    pub credential: CredentialRow,
    /// The credential that renewed this one, if any.
    pub successor: Option<CredentialId>,
    /// Its owner's e-mail address (none for an organization token): where renewal news goes
    /// unless told otherwise.
    pub owner_email: Option<String>,
    /// Its auto-renewal settings, if auto-renewal is on.
    pub auto_renewal: Option<AutoRenewal>,
    /// Its audit history, oldest first.
    pub history: Vec<AuditEntry>,
}

/// A newly issued token, revealed once.
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct Revealed {
    /// The stored credential.
    pub credential: CredentialRow,
    /// The token: this response is the only time it leaves the core.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[specta(type = String)]
    pub token: Secret,
}

impl Revealed {
    /// The response for a credential just issued (or renewed) at `now`.
    pub fn new(issued: Issued, now: DateTime<Utc>) -> Self {
        Revealed {
            // Its issuer manages it.
            credential: CredentialRow::new(issued.credential, now, None),
            token: issued.token,
        }
    }
}

/// A credential's editable fields as the UI sends them: only those present change, and a null
/// `auto_renewal` turns auto-renewal off. The core reads them field by field, so that any
/// other field is refused as `immutable_field`; the UI's type is [`CredentialChangesShape`].
#[derive(Debug, Deserialize, specta::Type, Serialize)]
#[specta(type = CredentialChangesShape)]
pub struct CredentialChanges(pub Map<String, Value>);

/// The shape of [`CredentialChanges`], for the generated TypeScript only.
#[derive(specta::Type)]
#[allow(dead_code)] // never built: it describes what the UI may send
pub struct CredentialChangesShape {
    /// The new description.
    #[specta(optional)]
    description: Option<String>,
    /// New auto-renewal settings; null turns auto-renewal off.
    #[specta(optional)]
    auto_renewal: Option<Option<AutoRenewal>>,
    /// A new usage limit, its uses full again; null removes the limit.
    #[specta(optional)]
    usage_limit: Option<Option<UsageLimitShape>>,
    /// A new list of the addresses and CIDR ranges it may be used from; empty: anywhere.
    #[specta(optional)]
    allowed_ips: Option<Vec<String>>,
}

/// A usage limit as an edit sends it, for the generated TypeScript only.
#[derive(specta::Type)]
#[allow(dead_code)] // never built: it describes what the UI may send
pub struct UsageLimitShape {
    /// Successful verifications it may have.
    max_uses: u32,
    /// When they fill up again; never when null.
    refill: Option<keysmith_core::Refill>,
}
