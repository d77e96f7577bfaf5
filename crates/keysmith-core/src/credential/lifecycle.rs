//! The lifecycle of credentials: issue, disable and enable, renew, revoke, delete (editing is in
//! `edit`). Each change is first checked against the operator's role (see
//! [`Operator`](crate::people::Operator)), then it and its audit row commit in one
//! transaction: a refused or failed change leaves nothing behind.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::renewal::RenewedBy;
use super::restrictions::Refill;
use super::{
    auto_renewal, store, use_leases, Credential, CredentialFields, CredentialId, CredentialPage,
    CredentialQuery, Expiry, Issued, NewCredential, Status,
};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::people::{self, store::Catalogue, Operator, Permission, User, UserId};
use crate::settings::Settings;
use crate::text::{Description, Name};
use crate::token::{self, TokenKind};
use crate::vault::{Change, Vault};

/// What renewing a credential takes: when the old one stops, when the new one expires, and,
/// if they change, the new one's name and description. The new one keeps the old one's kind,
/// owner, scopes, rights, applications, rate limit and auto-renewal settings; unless told
/// otherwise it has the old one's lifetime in whole days (capped by the lifetime policy), and
/// expires at 00:00 UTC of a date like every other credential.
#[derive(Debug, Clone)]
pub struct Renewal {
    /// When the old credential stops working: between now and its current expiry.
    pub old_ends_at: DateTime<Utc>,
    /// When the new credential expires; `None` gives it the old one's lifetime from today.
    /// Capped like any expiry: a year ahead, and the vault's lifetime policy.
    pub new_expiry: Option<Expiry>,
    /// The new credential's name; `None` keeps the old one's (it steps aside, renewed).
    pub name: Option<Name>,
    /// The new credential's description; `None` keeps the old one's.
    pub description: Option<Description>,
}

/// What a bulk action does to each credential it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    /// Revoke each (those already revoked are left as they are).
    Revoke,
    /// Disable each (those already disabled are left as they are).
    Disable,
    /// Renew each into hand-over: the successors' tokens wait in Renewals, the old tokens run
    /// on to their expiry.
    Renew,
}

/// What a bulk action changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct BulkOutcome {
    /// The credentials it changed, in the order given.
    pub changed: Vec<CredentialId>,
    /// For a renewal, each one's successor, in the same order.
    pub successors: Vec<CredentialId>,
}

/// What renewing a credential now would give (see [`Vault::renewal_plan`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct RenewalPlan {
    /// When the old credential expires now (the latest it may be made to end).
    pub old_expires_at: DateTime<Utc>,
    /// The new credential's expiry date unless another is chosen: the old lifetime from today.
    pub default_expires_on: NaiveDate,
    /// The latest expiry date allowed: a year ahead, or the vault's lifetime policy if shorter.
    pub latest_expires_on: NaiveDate,
    /// The old credential's lifetime in calendar days.
    pub lifetime_days: i64,
}

impl Vault {
    /// Issues a credential. The returned [`Issued::token`] is the only copy there will ever
    /// be; the vault keeps its keyed digest. Refused, with nothing written, when it grants no
    /// scope (a kind that needs them), the operator may not issue for the owner, the owner
    /// lacks API access or a scope, an application is not in the catalogue, or (organization
    /// tokens) the feature is off.
    pub fn issue(&mut self, new: &NewCredential) -> Result<Issued> {
        let issued = self.audited(|change| issue_in(change, new, None))?;
        tracing::info!(credential = issued.credential.id.0, "credential issued");
        Ok(issued)
    }

    /// Disables (`enabled = false`) or enables a credential. Disabled credentials fail
    /// verification until enabled again; a revoked one can be neither.
    pub fn set_enabled(&mut self, id: CredentialId, enabled: bool) -> Result<Credential> {
        self.audited(|change| {
            let credential = store::get(change, id)?;
            authorize(change, change.operator(), &credential)?;
            if credential.revoked_at.is_some() {
                return Err(Error::AlreadyRevoked);
            }
            switch_in(change, id, enabled)?;
            store::get(change, id)
        })
    }

    /// Renews a credential: the old one ends at `renewal.old_ends_at`, and a new one of the
    /// same kind, owner, scopes, rights, applications and rate limit is issued (revealed once)
    /// with the old one's lifetime, capped at the vault's lifetime policy (at most 365 days),
    /// and linked to it. A revoked
    /// credential cannot be renewed; the new one must pass every check of [`Vault::issue`].
    pub fn renew(&mut self, id: CredentialId, renewal: &Renewal) -> Result<Issued> {
        let issued = self.audited(|change| {
            let now = change.now();
            let old = store::get(change, id)?;
            authorize(change, change.operator(), &old)?;
            if old.status(now) == Status::Revoked {
                return Err(Error::AlreadyRevoked);
            }
            let expired = old.status(now) == Status::Expired;
            if renewal.old_ends_at < now || (!expired && renewal.old_ends_at > old.expires_at) {
                return Err(Error::InvalidEndDate);
            }
            if !expired {
                store::set_expiry(change, id, renewal.old_ends_at)?;
            }
            let issued = successor_in(
                change,
                &old,
                renewal.new_expiry,
                renewal.name.as_ref(),
                renewal.description.as_ref(),
            )?;
            change.record(
                AuditAction::CredentialRenewed,
                Some(id),
                json!({
                    "successor": issued.credential.id.0,
                    "old_ends_at": renewal.old_ends_at.min(old.expires_at).to_rfc3339(),
                }),
            )?;
            Ok(issued)
        })?;
        tracing::info!(
            old = id.0,
            new = issued.credential.id.0,
            "credential renewed"
        );
        Ok(issued)
    }

    /// What renewing `id` now would give, for the renew dialog to show beside the old end:
    /// the new expiry unless another is chosen, and the latest one allowed.
    pub fn renewal_plan(&self, id: CredentialId) -> Result<RenewalPlan> {
        let now = self.now();
        let old = store::get(self.conn(), id)?;
        let policy = Settings::load(self.conn())?.max_lifetime_days;
        let latest = i64::from(policy).min(Expiry::MAX_DAYS);
        Ok(RenewalPlan {
            old_expires_at: old.expires_at,
            default_expires_on: default_renewal_expiry(&old, policy, now)?.at().date_naive(),
            latest_expires_on: now.date_naive() + Duration::days(latest),
            lifetime_days: (old.expires_at.date_naive() - old.created_at.date_naive()).num_days(),
        })
    }

    /// Why the operator may not manage `credential` — edit, renew, revoke, delete or switch it
    /// — in a sentence to show beside the actions they cannot take; `None` when they may. Each
    /// of those actions refuses all the same (`forbidden`): this only lets a window say so
    /// before anyone tries.
    pub fn why_not_manage(&self, credential: &Credential) -> Result<Option<String>> {
        match authorize(self.conn(), self.operator(), credential) {
            Ok(()) => Ok(None),
            Err(Error::Forbidden(why)) => {
                let mut sentence = why;
                if let Some(first) = sentence.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                Ok(Some(sentence))
            }
            Err(other) => Err(other),
        }
    }

    /// The credentials `id` renewed, newest first: the one it replaced, the one that one
    /// replaced, and so on, as far as they are still in the vault (what the window folds under
    /// `id`).
    pub fn predecessors(&self, id: CredentialId) -> Result<Vec<Credential>> {
        let mut chain = Vec::new();
        let mut next = store::get(self.conn(), id)?.renewed_from;
        while let Some(earlier) = next {
            match store::get(self.conn(), earlier) {
                Ok(credential) => {
                    next = credential.renewed_from;
                    chain.push(credential);
                }
                Err(Error::CredentialNotFound(_)) => break,
                Err(other) => return Err(other),
            }
            // A chain never loops (each renewal points at an older row), but a damaged file
            // must not hang the window.
            if chain.len() > 10_000 {
                break;
            }
        }
        Ok(chain)
    }

    /// The credential that renewed `id`, if it was renewed.
    pub fn successor(&self, id: CredentialId) -> Result<Option<CredentialId>> {
        store::successor(self.conn(), id)
    }

    /// Deletes a credential's row; its audit history stays.
    pub fn delete(&mut self, id: CredentialId) -> Result<()> {
        self.audited(|change| {
            let credential = store::get(change, id)?;
            authorize(change, change.operator(), &credential)?;
            change.record(
                AuditAction::CredentialDeleted,
                Some(id),
                json!({ "name": credential.name }),
            )?;
            store::delete(change, id)
        })?;
        tracing::info!(credential = id.0, "credential deleted");
        Ok(())
    }

    /// Revokes a credential at once and for good.
    pub fn revoke(&mut self, id: CredentialId) -> Result<Credential> {
        let revoked = self.audited(|change| {
            let credential = store::get(change, id)?;
            authorize(change, change.operator(), &credential)?;
            if !revoke_in(change, &credential, false)? {
                return Err(Error::AlreadyRevoked);
            }
            store::get(change, id)
        })?;
        tracing::info!(credential = id.0, "credential revoked");
        Ok(revoked)
    }

    /// Does `action` to every credential of `ids` in one transaction, one audit row each: all
    /// of them, or — when the operator may not manage one, or one cannot be renewed — none
    /// (the refusal names that credential's id). Duplicates count once.
    pub fn bulk(&mut self, action: BulkAction, ids: &[CredentialId]) -> Result<BulkOutcome> {
        let mut unique = Vec::with_capacity(ids.len());
        for id in ids {
            if !unique.contains(id) {
                unique.push(*id);
            }
        }
        let outcome = self.audited(|change| {
            let mut outcome = BulkOutcome {
                changed: Vec::new(),
                successors: Vec::new(),
            };
            for &id in &unique {
                let credential = store::get(change, id)?;
                authorize(change, change.operator(), &credential)?;
                let changed = match action {
                    BulkAction::Revoke => revoke_in(change, &credential, false)?,
                    BulkAction::Disable => {
                        credential.revoked_at.is_none() && switch_in(change, id, false)?
                    }
                    BulkAction::Renew => {
                        let successor = super::renewal::auto_renew_in(change, id, RenewedBy::Bulk)?;
                        outcome.successors.push(successor);
                        true
                    }
                };
                if changed {
                    outcome.changed.push(id);
                }
            }
            Ok(outcome)
        })?;
        tracing::info!(?action, count = outcome.changed.len(), "bulk action");
        Ok(outcome)
    }

    /// Revokes every unrevoked credential of `user` in one transaction (offboarding); the ids
    /// revoked, in id order.
    pub fn revoke_all_of_user(&mut self, user: UserId) -> Result<Vec<CredentialId>> {
        let revoked = self.audited(|change| {
            let owner = people::store::user(change, user)?;
            change
                .operator()
                .require_manages(Some((owner.id, owner.role)))?;
            let mut revoked = store::unrevoked_of(change, user)?;
            revoked.sort();
            for id in &revoked {
                revoke_in(change, &store::get(change, *id)?, true)?;
            }
            Ok(revoked)
        })?;
        tracing::info!(
            user = user.0,
            count = revoked.len(),
            "credentials of a user revoked"
        );
        Ok(revoked)
    }

    /// The credential with `id`.
    pub fn credential(&self, id: CredentialId) -> Result<Credential> {
        store::get(self.conn(), id)
    }

    /// Every credential, newest first, whatever its status.
    pub fn list_credentials(&self) -> Result<Vec<Credential>> {
        self.query_credentials(&CredentialQuery::default())
    }

    /// The credentials `query` selects, filtered, sorted and paged.
    pub fn query_credentials(&self, query: &CredentialQuery) -> Result<Vec<Credential>> {
        Ok(self.credential_page(query)?.credentials)
    }

    /// The page of credentials `query` selects, and how many it selects on all pages.
    pub fn credential_page(&self, query: &CredentialQuery) -> Result<CredentialPage> {
        store::page(self.conn(), query, self.now())
    }
}

/// Refuses unless the operator may manage `credential` (see [`Operator`]).
pub(super) fn authorize(
    conn: &Connection,
    operator: &Operator,
    credential: &Credential,
) -> Result<()> {
    let owner = credential
        .owner_id
        .map(|id| people::store::user(conn, id).map(|user| (user.id, user.role)))
        .transpose()?;
    operator.require_manages(owner)
}

/// Enables or disables `id` and records it; false when it already was so (nothing recorded).
fn switch_in(change: &Change<'_>, id: CredentialId, enabled: bool) -> Result<bool> {
    if !store::set_disabled(change, id, (!enabled).then_some(change.now()))? {
        return Ok(false);
    }
    let action = if enabled {
        AuditAction::CredentialEnabled
    } else {
        AuditAction::CredentialDisabled
    };
    change.record(action, Some(id), json!({}))?;
    Ok(true)
}

/// Marks `credential` revoked and records it; false when it already was.
pub(super) fn revoke_in(
    change: &Change<'_>,
    credential: &Credential,
    offboarding: bool,
) -> Result<bool> {
    if !store::mark_revoked(change, credential.id, change.now())? {
        return Ok(false);
    }
    change.record(
        AuditAction::CredentialRevoked,
        Some(credential.id),
        json!({ "name": credential.name, "offboarding": offboarding }),
    )?;
    Ok(true)
}

/// Refuses an owner who may not hold credentials at all.
pub(crate) fn require_api_access(owner: &User) -> Result<()> {
    match owner.has_api_access() {
        true => Ok(()),
        false => Err(Error::OwnerLacksApiAccess(owner.name.clone())),
    }
}

/// Refuses `scopes` unless `owner` holds every one of them.
pub(crate) fn require_scopes_held<'a>(
    owner: &User,
    mut scopes: impl Iterator<Item = &'a str>,
) -> Result<()> {
    match scopes.find(|scope| !owner.permissions.iter().any(|held| held == scope)) {
        None => Ok(()),
        Some(scope) => Err(Error::ScopeNotHeld(scope.to_owned())),
    }
}

/// Checks `new` against the vault: the rules of its kind, the operator's role, the owner's
/// API access and permissions, at least one scope (unless it is a `renewal`, which keeps the
/// old one's), and the catalogues.
fn check_new(
    conn: &Connection,
    operator: &Operator,
    new: &NewCredential,
    now: DateTime<Utc>,
    renewal: bool,
) -> Result<()> {
    if !new.kind.is_issued() {
        return Err(Error::InvalidKind(
            "access tokens come from the client-credentials exchange and OAuth tokens from \
             their flows, not from issuing"
                .into(),
        ));
    }
    let settings = Settings::load(conn)?;
    let lifetime = new.expiry.at() - now;
    let policy = settings.max_lifetime_days;
    if lifetime > Duration::days(i64::from(policy)) {
        // Rounded up, as for the 365-day limit: a day and an hour over reads as two.
        let days = lifetime.num_days() + i64::from(lifetime > Duration::days(lifetime.num_days()));
        return Err(Error::ExpiryBeyondPolicy { max: policy, days });
    }
    if new.kind == TokenKind::OrganizationToken {
        if !settings.organization_tokens {
            return Err(Error::FeatureDisabled("Organization tokens"));
        }
        if new.owner.is_some() {
            return Err(Error::InvalidOwner(
                "an organization token belongs to the organization, not to a user".into(),
            ));
        }
        operator.require_manages(None)?;
        for scope in &new.scopes {
            if !people::store::contains(conn, Catalogue::Permissions, scope.as_str())? {
                return Err(Error::UnknownPermission(scope.as_str().to_owned()));
            }
        }
    } else {
        let owner_id = new.owner.ok_or_else(|| {
            Error::InvalidOwner("choose the user this credential is bound to".into())
        })?;
        let owner = people::store::user(conn, owner_id)?;
        operator.require_manages(Some((owner.id, owner.role)))?;
        require_api_access(&owner)?;
        if new.kind == TokenKind::ApiClient && !new.scopes.is_empty() {
            return Err(Error::ScopesInherited);
        }
        require_scopes_held(&owner, new.scopes.iter().map(Permission::as_str))?;
    }
    if new.kind == TokenKind::Verifier {
        // It answers "may this service ask?", nothing more.
        operator.require_admin("issue verifier keys")?;
        if !new.scopes.is_empty() || !new.applications.is_empty() {
            return Err(Error::InvalidKind(
                "a verifier key only lets a service call the local API; choose no scopes and \
                 no applications"
                    .into(),
            ));
        }
        return Ok(());
    }
    // A new credential must grant something; a renewal keeps what the old one had.
    if !renewal && new.kind.needs_scopes() && new.scopes.is_empty() {
        return Err(Error::NoScope);
    }
    if new.applications.is_empty() {
        return Err(Error::NoApplication);
    }
    for application in &new.applications {
        if !people::store::contains(conn, Catalogue::Applications, application.as_str())? {
            return Err(Error::UnknownApplication(application.as_str().to_owned()));
        }
    }
    Ok(())
}

/// Checks, generates, stores and records a new credential as part of `change`.
/// Issues `old`'s successor in `change`: the same kind, owner, scopes, rights, applications,
/// rate limit and auto-renewal settings (the period fitted to the new lifetime), expiring at
/// `expiry` or else after [`default_renewal_expiry`], its name and description unless others
/// are given; `old` steps aside (renewed), so its name is free. The successor must pass every
/// check of issuing.
pub(super) fn successor_in(
    change: &Change<'_>,
    old: &Credential,
    expiry: Option<Expiry>,
    name: Option<&Name>,
    description: Option<&Description>,
) -> Result<Issued> {
    let now = change.now();
    let expiry = match expiry {
        Some(expiry) => expiry,
        None => default_renewal_expiry(old, Settings::load(change)?.max_lifetime_days, now)?,
    };
    let new = CredentialFields {
        kind: old.kind,
        owner_id: old.owner_id,
        name: name.map_or(old.name.as_str(), Name::as_str).to_owned(),
        description: description
            .map_or(old.description.as_str(), Description::as_str)
            .to_owned(),
        scopes: old.scopes.clone(),
        rights: old.rights,
        applications: old.applications.clone(),
        rate_limit: Some(old.rate_limit),
        max_uses: old.usage.map(|usage| usage.max_uses),
        refill: old.usage.and_then(|usage| usage.refill),
        allowed_ips: old.allowed_ips.clone(),
    }
    .validate(expiry)?;
    store::set_renewed(change, old.id, now)?;
    let issued = issue_in(change, &new, Some(old.id))?;
    let lifetime = issued.credential.expires_at - issued.credential.created_at;
    if let Some(settings) =
        auto_renewal::load(change, old.id)?.and_then(|settings| settings.fitted_to(lifetime))
    {
        auto_renewal::save(change, issued.credential.id, Some(&settings))?;
    }
    Ok(issued)
}

/// The expiry a renewal of `old` gets unless another is chosen: `old`'s lifetime in whole
/// days (at least one, at most `policy`) from today, at 00:00 UTC.
fn default_renewal_expiry(old: &Credential, policy: u32, now: DateTime<Utc>) -> Result<Expiry> {
    let lifetime = (old.expires_at.date_naive() - old.created_at.date_naive())
        .num_days()
        .clamp(1, i64::from(policy));
    Expiry::on_date(now.date_naive() + Duration::days(lifetime), now)
}

fn issue_in(
    change: &Change<'_>,
    new: &NewCredential,
    renewed_from: Option<CredentialId>,
) -> Result<Issued> {
    check_new(
        change,
        change.operator(),
        new,
        change.now(),
        renewed_from.is_some(),
    )?;
    let token = token::generate(new.kind);
    let client_id = (new.kind == TokenKind::ClientCredentials).then(token::generate_client_id);
    let stored = store::Stored {
        kind: new.kind,
        token_hint: &token::hint(token.expose()),
        digest: &change.pepper().digest(token.expose()),
        renewed_from,
        client_id: client_id.as_deref(),
    };
    let id = store::insert(change, new, &stored, change.now())?;
    if new.restrictions.usage.is_some() {
        use_leases::reset(change, id, new.restrictions.usage, change.now())?;
    }
    change.record(
        AuditAction::CredentialIssued,
        Some(id),
        json!({
            "kind": new.kind.as_str(),
            "name": new.name.as_str(),
            "owner": new.owner.map(|id| id.0),
            "scopes": new.scopes,
            "rights": new.rights.as_str(),
            "applications": new.applications.iter().map(Name::as_str).collect::<Vec<_>>(),
            "rate_limit": new.rate_limit.per_minute(),
            "max_uses": new.restrictions.usage.map(|limit| limit.max_uses()),
            "refill": new.restrictions.usage.and_then(|limit| limit.refill()).map(Refill::as_str),
            "allowed_ips": new.restrictions.allowed_ips.to_strings(),
            "disabled": new.disabled,
            "expires_at": new.expiry.at().to_rfc3339(),
            "renewed_from": renewed_from.map(|id| id.0),
        }),
    )?;
    let credential = store::get(change, id)?;
    Ok(Issued { credential, token })
}
