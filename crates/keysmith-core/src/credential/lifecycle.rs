//! The lifecycle of credentials: issue, disable and enable, renew, revoke, delete (editing is in
//! `edit`). Each
//! change and its audit row commit in one transaction: a refused or failed change leaves
//! nothing behind.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Transaction;
use serde_json::json;

use super::{
    store, Credential, CredentialId, CredentialQuery, Description, Expiry, Issued, NewCredential,
    Status,
};
use crate::audit;
use crate::error::{Error, Result};
use crate::token::{self, TokenKind};
use crate::vault::Vault;

/// What renewing a credential takes: when the old one stops, and the new one's name and
/// description. The new one keeps the old one's kind and lifetime (capped at 365 days).
#[derive(Debug, Clone)]
pub struct Renewal {
    /// When the old credential stops working: between now and its current expiry.
    pub old_ends_at: DateTime<Utc>,
    /// The new credential's name.
    pub name: super::CredentialName,
    /// The new credential's description.
    pub description: Description,
}

impl Vault {
    /// Issues a personal access token. The returned [`Issued::token`] is the only copy there
    /// will ever be; the vault keeps its keyed digest.
    pub fn issue(&mut self, new: &NewCredential) -> Result<Issued> {
        let now = self.now();
        let tx = self.conn.transaction()?;
        let issued = issue_in(&tx, &self.pepper, &self.operator, new, None, now)?;
        tx.commit()?;
        tracing::info!(credential = issued.credential.id.0, "credential issued");
        Ok(issued)
    }

    /// Disables (`enabled = false`) or enables a credential. Disabled credentials fail
    /// verification until enabled again; a revoked one can be neither.
    pub fn set_enabled(&mut self, id: CredentialId, enabled: bool) -> Result<Credential> {
        let now = self.now();
        let tx = self.conn.transaction()?;
        if store::get(&tx, id)?.revoked_at.is_some() {
            return Err(Error::AlreadyRevoked);
        }
        if store::set_disabled(&tx, id, (!enabled).then_some(now))? {
            let action = if enabled {
                "credential.enabled"
            } else {
                "credential.disabled"
            };
            audit::append(&tx, now, &self.operator, action, Some(id), &json!({}))?;
        }
        let credential = store::get(&tx, id)?;
        tx.commit()?;
        Ok(credential)
    }

    /// Renews a credential: the old one ends at `renewal.old_ends_at`, and a new one of the
    /// same kind is issued (revealed once) with the old one's lifetime, capped at 365 days
    /// from now, and linked to it. A revoked credential cannot be renewed.
    pub fn renew(&mut self, id: CredentialId, renewal: &Renewal) -> Result<Issued> {
        let now = self.now();
        let tx = self.conn.transaction()?;
        let old = store::get(&tx, id)?;
        if old.status(now) == Status::Revoked {
            return Err(Error::AlreadyRevoked);
        }
        let expired = old.status(now) == Status::Expired;
        if renewal.old_ends_at < now || (!expired && renewal.old_ends_at > old.expires_at) {
            return Err(Error::InvalidEndDate);
        }
        let lifetime = (old.expires_at - old.created_at).min(Duration::days(Expiry::MAX_DAYS));
        let new = NewCredential {
            name: renewal.name.clone(),
            description: renewal.description.clone(),
            expiry: Expiry::new(now + lifetime, now)?,
        };
        if !expired {
            store::set_expiry(&tx, id, renewal.old_ends_at)?;
        }
        let issued = issue_in(&tx, &self.pepper, &self.operator, &new, Some(id), now)?;
        audit::append(
            &tx,
            now,
            &self.operator,
            "credential.renewed",
            Some(id),
            &json!({
                "successor": issued.credential.id.0,
                "old_ends_at": renewal.old_ends_at.min(old.expires_at).to_rfc3339(),
            }),
        )?;
        tx.commit()?;
        tracing::info!(
            old = id.0,
            new = issued.credential.id.0,
            "credential renewed"
        );
        Ok(issued)
    }

    /// The credential that renewed `id`, if it was renewed.
    pub fn successor(&self, id: CredentialId) -> Result<Option<CredentialId>> {
        store::successor(&self.conn, id)
    }

    /// Deletes a credential's row; its audit history stays.
    pub fn delete(&mut self, id: CredentialId) -> Result<()> {
        let now = self.now();
        let tx = self.conn.transaction()?;
        let credential = store::get(&tx, id)?;
        store::delete(&tx, id)?;
        audit::append(
            &tx,
            now,
            &self.operator,
            "credential.deleted",
            Some(id),
            &json!({ "name": credential.name }),
        )?;
        tx.commit()?;
        tracing::info!(credential = id.0, "credential deleted");
        Ok(())
    }

    /// Revokes a credential at once and for good.
    pub fn revoke(&mut self, id: CredentialId) -> Result<Credential> {
        let now = self.now();
        let tx = self.conn.transaction()?;
        let credential = store::get(&tx, id)?;
        if !store::mark_revoked(&tx, id, now)? {
            return Err(Error::AlreadyRevoked);
        }
        audit::append(
            &tx,
            now,
            &self.operator,
            "credential.revoked",
            Some(id),
            &json!({ "name": credential.name }),
        )?;
        let revoked = store::get(&tx, id)?;
        tx.commit()?;
        tracing::info!(credential = id.0, "credential revoked");
        Ok(revoked)
    }

    /// The credential with `id`.
    pub fn credential(&self, id: CredentialId) -> Result<Credential> {
        store::get(&self.conn, id)
    }

    /// Every credential, newest first, whatever its status.
    pub fn list_credentials(&self) -> Result<Vec<Credential>> {
        self.query_credentials(&CredentialQuery::default())
    }

    /// The credentials `query` selects, filtered, sorted and paged.
    pub fn query_credentials(&self, query: &CredentialQuery) -> Result<Vec<Credential>> {
        store::query(&self.conn, query, self.now())
    }
}

/// Generates, stores and audits a new credential inside the caller's transaction.
fn issue_in(
    tx: &Transaction<'_>,
    pepper: &crate::digest::Pepper,
    operator: &str,
    new: &NewCredential,
    renewed_from: Option<CredentialId>,
    now: DateTime<Utc>,
) -> Result<Issued> {
    let kind = TokenKind::PersonalAccessToken;
    let token = token::generate(kind);
    let stored = store::Stored {
        kind,
        token_hint: &token::hint(token.expose()),
        digest: &pepper.digest(token.expose()),
        renewed_from,
    };
    let id = store::insert(tx, new, &stored, now)?;
    audit::append(
        tx,
        now,
        operator,
        "credential.issued",
        Some(id),
        &json!({
            "kind": kind.as_str(),
            "name": new.name.as_str(),
            "expires_at": new.expiry.at().to_rfc3339(),
            "renewed_from": renewed_from.map(|id| id.0),
        }),
    )?;
    let credential = store::get(tx, id)?;
    Ok(Issued { credential, token })
}
