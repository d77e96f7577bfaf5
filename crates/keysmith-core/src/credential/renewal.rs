//! The renewal service: credentials with auto-renewal are renewed every x days from their
//! issue, by Keysmith itself (the app while unlocked, or `keysmith serve`, under the delivery
//! lease), oldest due first — renewals that fell due while nothing ran happen at the next
//! run. A successor is issued as a manual renewal issues one (see `lifecycle::successor_in`),
//! but the old token runs on to its expiry, and the successor's secret waits inside the vault,
//! in `renewal_handovers`, until an admin hands it over (reveals it once); then it is wiped.
//! Nothing else ever reads it: no log, event, mail or error.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::json;

use super::lifecycle::{authorize, successor_in};
use super::{store, CredentialId};
use crate::audit::AuditAction;
use crate::clock::from_seconds;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::vault::{Change, Vault};

/// How the renewal service is named in the audit log.
const SERVICE: &str = "Keysmith renewal service";

/// How long after a failed renewal it is tried again.
const RETRY_AFTER: Duration = Duration::hours(1);

/// A renewed credential whose secret waits to be handed over.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Handover {
    /// The successor.
    pub successor_id: CredentialId,
    /// Its name.
    pub name: String,
    /// Its owner's name (none for an organization token).
    pub owner_name: Option<String>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// The credential it renewed.
    pub predecessor_id: CredentialId,
    /// When it was renewed.
    pub renewed_at: DateTime<Utc>,
}

impl Vault {
    /// Renews every credential whose auto-renewal is due, oldest due first, each in a change
    /// of its own audited as the renewal service: the successors' ids. One that cannot be
    /// renewed (its owner lost API access, the policy refuses its lifetime, …) keeps the
    /// reason, is logged by code and tried again an hour later; the others go on.
    pub fn run_due_renewals(&mut self) -> Result<Vec<CredentialId>> {
        let now = self.now();
        let due = due(self.conn(), now)?;
        let mut renewed = Vec::with_capacity(due.len());
        for id in due {
            match self.audited_as_service(SERVICE, |change| auto_renew_in(change, id)) {
                Ok(successor) => renewed.push(successor),
                Err(error) if is_refusal(&error) => {
                    tracing::warn!(
                        credential = id.0,
                        code = error.code().as_str(),
                        "auto-renewal refused"
                    );
                    self.bookkeeping(|conn, now| note_failure(conn, id, now, &error.to_string()))?;
                }
                Err(error) => return Err(error),
            }
        }
        Ok(renewed)
    }

    /// Runs `id`'s auto-renewal now, as it would run when due ("Renew now"): its successor,
    /// whose secret waits to be handed over. For whoever manages the credential.
    pub fn renew_now(&mut self, id: CredentialId) -> Result<CredentialId> {
        self.audited(|change| {
            let credential = store::get(change, id)?;
            authorize(change, change.operator(), &credential)?;
            if super::auto_renewal::load(change, id)?.is_none() {
                return Err(Error::InvalidAutoRenewal(
                    "auto-renewal is off for this credential; turn it on first".into(),
                ));
            }
            auto_renew_in(change, id)
        })
    }

    /// The renewed credentials whose secrets wait to be handed over, that the operator
    /// manages, oldest first.
    pub fn pending_handovers(&self) -> Result<Vec<Handover>> {
        let waiting: Vec<(i64, i64, i64)> = self
            .conn()
            .prepare_cached(
                "SELECT successor_id, predecessor_id, renewed_at FROM renewal_handovers
                 WHERE token IS NOT NULL ORDER BY renewed_at, successor_id",
            )?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut handovers = Vec::with_capacity(waiting.len());
        for (successor, predecessor, renewed_at) in waiting {
            let credential = store::get(self.conn(), CredentialId(successor))?;
            if authorize(self.conn(), self.operator(), &credential).is_err() {
                continue;
            }
            handovers.push(Handover {
                successor_id: credential.id,
                name: credential.name,
                owner_name: credential.owner_name,
                expires_at: credential.expires_at,
                predecessor_id: CredentialId(predecessor),
                renewed_at: from_seconds(renewed_at),
            });
        }
        Ok(handovers)
    }

    /// Hands a renewed credential's secret over: returns it this once and wipes it from the
    /// vault. For whoever manages the credential; a second time is
    /// [`Error::AlreadyHandedOver`].
    pub fn hand_over(&mut self, successor: CredentialId) -> Result<Secret> {
        self.audited(|change| {
            let credential = store::get(change, successor)?;
            authorize(change, change.operator(), &credential)?;
            let token: Option<String> = change
                .prepare_cached("SELECT token FROM renewal_handovers WHERE successor_id = ?1")?
                .query_row([successor.0], |row| row.get(0))
                .optional()?
                .flatten();
            let token = token.map(Secret::new).ok_or(Error::AlreadyHandedOver)?;
            change
                .prepare_cached(
                    "UPDATE renewal_handovers SET token = NULL, handed_over_at = ?2
                     WHERE successor_id = ?1",
                )?
                .execute((successor.0, change.now().timestamp()))?;
            change.record(
                AuditAction::CredentialHandedOver,
                Some(successor),
                json!({}),
            )?;
            Ok(token)
        })
    }

    /// Why `id`'s last auto-renewal failed, if it did and has not succeeded since.
    pub fn auto_renewal_failure(&self, id: CredentialId) -> Result<Option<String>> {
        let failure: Option<Option<String>> = self
            .conn()
            .prepare_cached("SELECT last_failure FROM auto_renewals WHERE credential_id = ?1")?
            .query_row([id.0], |row| row.get(0))
            .optional()?;
        Ok(failure.flatten())
    }
}

/// The credentials whose auto-renewal is due at `now`, oldest due first: live (not revoked,
/// disabled or already renewed), issued at least their period ago, not failed within the
/// last hour.
fn due(conn: &Connection, now: DateTime<Utc>) -> Result<Vec<CredentialId>> {
    let ids = conn
        .prepare_cached(
            "SELECT c.id FROM auto_renewals a JOIN credentials c ON c.id = a.credential_id
             WHERE c.revoked_at IS NULL AND c.disabled_at IS NULL AND c.renewed_at IS NULL
               AND c.created_at + a.every_days * 86400 <= ?1
               AND (a.last_failed_at IS NULL OR a.last_failed_at <= ?2)
             ORDER BY c.created_at + a.every_days * 86400, c.id",
        )?
        .query_map((now.timestamp(), (now - RETRY_AFTER).timestamp()), |row| {
            row.get(0).map(CredentialId)
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Renews `id` automatically in `change`: its successor (the old token runs on to its
/// expiry), the successor's secret kept for hand-over, audited as `credential.auto_renewed`.
fn auto_renew_in(change: &Change<'_>, id: CredentialId) -> Result<CredentialId> {
    let old = store::get(change, id)?;
    if old.revoked_at.is_some() {
        return Err(Error::AlreadyRevoked);
    }
    let issued = successor_in(change, &old, None, None)?;
    let successor = issued.credential.id;
    change
        .prepare_cached(
            "INSERT INTO renewal_handovers (successor_id, predecessor_id, token, renewed_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute((
            successor.0,
            id.0,
            issued.token.expose(),
            change.now().timestamp(),
        ))?;
    change
        .prepare_cached(
            "UPDATE auto_renewals SET last_failure = NULL, last_failed_at = NULL
             WHERE credential_id = ?1",
        )?
        .execute([id.0])?;
    change.record(
        AuditAction::CredentialAutoRenewed,
        Some(id),
        json!({ "successor": successor.0 }),
    )?;
    tracing::info!(old = id.0, new = successor.0, "credential auto-renewed");
    Ok(successor)
}

/// Whether `error` is the credential's own trouble (retried later), not the vault's.
fn is_refusal(error: &Error) -> bool {
    !matches!(
        error,
        Error::Storage(_)
            | Error::Io(_)
            | Error::VaultBusy
            | Error::VaultDamaged(_)
            | Error::VaultReadOnly
    )
}

/// Keeps why `id`'s renewal failed at `now`.
fn note_failure(conn: &Connection, id: CredentialId, now: DateTime<Utc>, why: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE auto_renewals SET last_failure = ?2, last_failed_at = ?3 WHERE credential_id = ?1",
    )?
    .execute((id.0, why, now.timestamp()))?;
    Ok(())
}
