//! The credential operations: the inventory's pages and counts, one credential's detail, the
//! Health counts, and issue, renew, edit, enable/disable, revoke, delete and the bulk actions.

use chrono::Duration;
use keysmith_core::{
    BulkAction, BulkOutcome, CredentialEdit, CredentialId, CredentialQuery, Description, Error,
    Expiry, HealthCount, IssueRequest, Name, Renewal, RenewalPlan, Result, Status, Vault,
};

use crate::rows::{
    CredentialChanges, CredentialCounts, CredentialDetail, CredentialListing, CredentialRow,
    Revealed,
};

crate::operations! {
    /// The page of credentials the query selects (all, newest first, without one), with status,
    /// age and days left, and the total on every page.
    Watch list_credentials as ListCredentials {
        /// The filters, sort and page; none: every credential, newest first.
        query: Option<CredentialQuery>,
    } -> CredentialListing = |vault, op| list(vault, &op.query.unwrap_or_default());

    /// How many credentials the vault holds, and how many expire soon.
    Watch credential_counts as CountCredentials {} -> CredentialCounts = |vault, _op| counts(vault);

    /// One credential with its renewal links and audit history.
    Watch credential_detail as ShowCredential {
        /// Its id.
        id: CredentialId,
    } -> CredentialDetail = |vault, op| detail(vault, op.id);

    /// The credentials `id` renewed, newest first, as rows: what the inventory unfolds under it.
    Watch credential_predecessors as CredentialPredecessors {
        /// The successor's id.
        id: CredentialId,
    } -> Vec<CredentialRow> = |vault, op| rows(vault, vault.predecessors(op.id)?);

    /// How many credentials each check of the Health section finds now.
    Watch health_counts as HealthCounts {} -> Vec<HealthCount> = |vault, _op| vault.health_counts();

    /// Revokes, disables or renews (into hand-over) every credential of `ids` in one change, one
    /// audit row each; refused for one, none changes.
    Change bulk_credentials as BulkCredentials {
        /// What to do to each.
        action: BulkAction,
        /// Which credentials.
        ids: Vec<CredentialId>,
    } -> BulkOutcome = |vault, op| vault.bulk(op.action, &op.ids);

    /// Issues a credential; its secret is revealed once in the answer.
    Change issue_credential as IssueCredential {
        /// What to issue.
        request: IssueRequest,
    } -> Revealed = |vault, op| {
        let now = vault.now();
        Ok(Revealed::new(vault.issue(&op.request.validate(now)?)?, now))
    };

    /// Revokes a credential, confirmed by its name typed exactly.
    Change revoke_credential as RevokeCredential {
        /// Its id.
        id: CredentialId,
        /// Its name, as the admin typed it; none where the caller named it by id alone (the
        /// command line).
        confirm_name: Option<String>,
    } -> CredentialRow = |vault, op| {
        confirm(vault, op.id, op.confirm_name.as_deref())?;
        let revoked = vault.revoke(op.id)?;
        CredentialRow::of(vault, revoked)
    };

    /// Disables (`enabled = false`) or enables a credential.
    Change set_credential_enabled as SetCredentialEnabled {
        /// Its id.
        id: CredentialId,
        /// Whether it may verify.
        enabled: bool,
    } -> CredentialRow = |vault, op| {
        let credential = vault.set_enabled(op.id, op.enabled)?;
        CredentialRow::of(vault, credential)
    };

    /// Edits a credential: `changes` names the fields to replace; any field that cannot change
    /// after issue is refused as `immutable_field`.
    Change edit_credential as EditCredential {
        /// Its id.
        id: CredentialId,
        /// The fields to replace.
        changes: CredentialChanges,
    } -> CredentialRow = |vault, op| {
        let credential = vault.edit(op.id, &CredentialEdit::from_fields(&op.changes.0)?)?;
        CredentialRow::of(vault, credential)
    };

    /// What renewing a credential now would give: the old one's expiry, the new one's default
    /// and latest expiry dates.
    Watch renewal_plan as RenewalPlanOf {
        /// Its id.
        id: CredentialId,
    } -> RenewalPlan = |vault, op| vault.renewal_plan(op.id);

    /// Renews a credential; the new token is revealed once in the answer.
    Change renew_credential as RenewCredential {
        /// Its id.
        id: CredentialId,
        /// The old one ends this many seconds from now (0: now); with neither this nor
        /// `old_ends_on`, at its current expiry.
        #[serde(default)]
        #[specta(optional)]
        old_ends_in_seconds: Option<i64>,
        /// The old one ends at the start of this day (`YYYY-MM-DD`).
        #[serde(default)]
        #[specta(optional)]
        old_ends_on: Option<String>,
        /// The new one expires at the start of this day (`YYYY-MM-DD`); none: after the old
        /// one's lifetime.
        #[serde(default)]
        #[specta(optional)]
        expires_on: Option<String>,
        /// The new one's name; none: the old one's.
        #[serde(default)]
        #[specta(optional)]
        name: Option<String>,
        /// The new one's description; none: the old one's.
        #[serde(default)]
        #[specta(optional)]
        description: Option<String>,
    } -> Revealed = |vault, op| renew(vault, op);

    /// Deletes a credential's row (its audit history stays), confirmed by its name typed
    /// exactly.
    Change delete_credential as DeleteCredential {
        /// Its id.
        id: CredentialId,
        /// Its name, as the admin typed it; none where the caller named it by id alone (the
        /// command line).
        confirm_name: Option<String>,
    } -> () = |vault, op| {
        confirm(vault, op.id, op.confirm_name.as_deref())?;
        vault.delete(op.id)
    };

    /// A number that moves whenever the vault changes, whoever changed it: the inventory reads
    /// again when it moves.
    Watch vault_revision as VaultRevision {} -> u32 = |vault, _op| vault.revision();
}

/// The page `query` selects, as rows.
fn list(vault: &Vault, query: &CredentialQuery) -> Result<CredentialListing> {
    let page = vault.credential_page(query)?;
    Ok(CredentialListing {
        total: page.total,
        rows: rows(vault, page.credentials)?,
    })
}

/// `credentials` as rows.
fn rows(vault: &Vault, credentials: Vec<keysmith_core::Credential>) -> Result<Vec<CredentialRow>> {
    credentials
        .into_iter()
        .map(|credential| CredentialRow::of(vault, credential))
        .collect()
}

/// The counts beside the inventory (the tray shows the same).
fn counts(vault: &Vault) -> Result<CredentialCounts> {
    let count = |query: CredentialQuery| {
        vault
            .credential_page(&CredentialQuery {
                limit: Some(0),
                ..query
            })
            .map(|page| page.total)
    };
    Ok(CredentialCounts {
        in_vault: count(CredentialQuery::default())?,
        expiring_soon: count(CredentialQuery {
            statuses: vec![Status::ExpiringSoon],
            ..CredentialQuery::default()
        })?,
    })
}

fn detail(vault: &Vault, id: CredentialId) -> Result<CredentialDetail> {
    let credential = vault.credential(id)?;
    let owner_email = match credential.owner_id {
        Some(owner) => Some(vault.user(owner)?.email),
        None => None,
    };
    Ok(CredentialDetail {
        credential: CredentialRow::of(vault, credential)?,
        successor: vault.successor(id)?,
        owner_email,
        auto_renewal: vault.auto_renewal(id)?,
        history: vault.audit_log(Some(id))?,
    })
}

fn renew(vault: &mut Vault, op: RenewCredential) -> Result<Revealed> {
    let now = vault.now();
    let old_ends_at = match (op.old_ends_in_seconds, op.old_ends_on) {
        (Some(seconds), _) => now + Duration::seconds(seconds),
        (None, Some(date)) => day_start(&date)?,
        (None, None) => vault.credential(op.id)?.expires_at.max(now),
    };
    let renewal = Renewal {
        old_ends_at,
        new_expiry: op
            .expires_on
            .map(|date| Expiry::parse_date(&date, now))
            .transpose()?,
        name: op.name.as_deref().map(Name::new).transpose()?,
        description: op
            .description
            .as_deref()
            .map(Description::new)
            .transpose()?,
    };
    Ok(Revealed::new(vault.renew(op.id, &renewal)?, now))
}

/// The start (UTC) of the day written `YYYY-MM-DD`.
fn day_start(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    let date = chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| Error::InvalidDate(text.chars().take(40).collect()))?;
    Ok(date.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// Checks that the admin typed the credential's exact name, where they were asked to.
fn confirm(vault: &Vault, id: CredentialId, typed: Option<&str>) -> Result<()> {
    match typed {
        Some(typed) if vault.credential(id)?.name != typed.trim() => {
            Err(Error::ConfirmationMismatch)
        }
        _ => Ok(()),
    }
}
