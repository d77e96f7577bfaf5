//! The renewal service: credentials with auto-renewal are renewed every x days from their
//! issue, by Keysmith itself (the app while unlocked, or `keysmith serve`, under the delivery
//! lease), oldest due first — renewals that fell due while nothing ran happen at the next
//! run. A successor is issued as a manual renewal issues one (see `lifecycle::successor_in`),
//! but the old token runs on to its expiry, and the successor's secret waits inside the vault,
//! in `renewal_handovers`, until an admin hands it over (reveals it once); then it is wiped.
//! Nothing else ever reads it: no log, event, mail or error.
//!
//! With a callback URL, the successor is also offered to a third party: a claim key (single
//! use, valid 2 hours, kept as its keyed digest like a token) goes out in a signed POST (the
//! webhook outbox, signed with the vault's renewal key); redeemed, it returns the token once,
//! wipes it, and the old token ends 24 hours later (or at its own expiry if sooner). Not
//! redeemed: a new key goes out 24 hours after the previous one, the old key dead, until the
//! old token expires.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::lifecycle::{authorize, successor_in};
use super::{store, Credential, CredentialId};
use crate::audit::AuditAction;
use crate::clock::from_seconds;
use crate::error::{Error, Result};
use crate::mail;
use crate::secret::Secret;
use crate::token;
use crate::vault::{Change, Vault};
use crate::webhook;

/// How the renewal service is named in the audit log.
const SERVICE: &str = "Keysmith renewal service";

/// How long after a failed renewal it is tried again.
const RETRY_AFTER: Duration = Duration::hours(1);

/// How the local API is named in the audit log when a claim key is redeemed.
const REDEEMER: &str = "Keysmith local API (renewal claim)";

/// How long a claim key is valid.
pub const CLAIM_VALID: Duration = Duration::hours(2);

/// How long after an unredeemed claim a new one is sent.
pub const CLAIM_RESENT_AFTER: Duration = Duration::hours(24);

/// How long the old token keeps working once its successor's claim key is redeemed.
pub const GRACE_AFTER_REDEMPTION: Duration = Duration::hours(24);

/// The event name of a renewal's callback.
const CLAIM_EVENT: &str = "credential.renewal_claim";

/// A redeemed claim: the successor's token, this once.
#[derive(Debug)]
pub struct Redeemed {
    /// The token.
    pub token: Secret,
    /// The successor's id.
    pub credential_id: CredentialId,
    /// When the successor expires.
    pub expires_at: DateTime<Utc>,
}

/// A renewed credential whose secret waits to be handed over.
#[derive(Debug, Clone, Serialize, specta::Type, Deserialize)]
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
    /// When the last claim key went to the credential's callback, if it has one.
    pub claim_sent_at: Option<DateTime<Utc>>,
}

impl Vault {
    /// Renews every credential whose auto-renewal is due, oldest due first, each in a change
    /// of its own audited as the renewal service: the successors' ids. One that cannot be
    /// renewed (its owner lost API access, the policy refuses its lifetime, …) keeps the
    /// reason, is logged by code and tried again an hour later; the others go on.
    pub fn run_due_renewals(&mut self) -> Result<Vec<CredentialId>> {
        self.resend_claims()?;
        let now = self.now();
        let due = due(self.conn(), now)?;
        let mut renewed = Vec::with_capacity(due.len());
        for id in due {
            match self.audited_as_service(SERVICE, |change| {
                auto_renew_in(change, id, RenewedBy::Service)
            }) {
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
    /// whose secret waits to be handed over. For whoever manages the credential; audited as
    /// their renewal (`credential.renewed`, `"via": "renew_now"`), not an automatic one.
    pub fn renew_now(&mut self, id: CredentialId) -> Result<CredentialId> {
        self.audited(|change| {
            let credential = store::get(change, id)?;
            authorize(change, change.operator(), &credential)?;
            if super::auto_renewal::load(change, id)?.is_none() {
                return Err(Error::InvalidAutoRenewal(
                    "auto-renewal is off for this credential; turn it on first".into(),
                ));
            }
            auto_renew_in(change, id, RenewedBy::RenewNow)
        })
    }

    /// Sends a new claim key (the last one dead) for every successor still waiting whose
    /// last key went out 24 hours ago, while its predecessor has not expired.
    fn resend_claims(&mut self) -> Result<()> {
        let now = self.now();
        let waiting: Vec<(i64, i64, String)> = self
            .conn()
            .prepare_cached(
                "SELECT h.successor_id, h.predecessor_id, h.callback_url
                 FROM renewal_handovers h JOIN credentials o ON o.id = h.predecessor_id
                 WHERE h.token IS NOT NULL AND h.callback_url IS NOT NULL
                   AND h.claim_sent_at <= ?1 AND o.expires_at > ?2",
            )?
            .query_map(
                ((now - CLAIM_RESENT_AFTER).timestamp(), now.timestamp()),
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        for (successor, predecessor, url) in waiting {
            let (successor, predecessor) = (CredentialId(successor), CredentialId(predecessor));
            let key = Secret::new(token::random_id("ks_clm_"));
            let digest = self.pepper().digest(key.expose()).as_bytes().to_vec();
            self.bookkeeping(|conn, now| {
                send_claim(conn, now, predecessor, successor, &url, &key, &digest)
            })?;
        }
        Ok(())
    }

    /// Redeems a claim key: the successor's token, this once (then wiped), and the old token
    /// ends 24 hours from now unless it expires sooner. A key that is unknown, used or past
    /// its 2 hours is [`Error::InvalidClaim`] — the same answer for each.
    pub fn redeem_claim(&mut self, key: &str) -> Result<Redeemed> {
        let digest = self.pepper().digest(key).as_bytes().to_vec();
        self.audited_as_service(REDEEMER, |change| {
            let now = change.now();
            let successor: Option<i64> = change
                .prepare_cached(
                    "SELECT successor_id FROM renewal_claims WHERE digest = ?1 AND expires_at > ?2",
                )?
                .query_row((&digest, now.timestamp()), |row| row.get(0))
                .optional()?;
            let successor = CredentialId(successor.ok_or(Error::InvalidClaim)?);
            let predecessor: i64 = change
                .prepare_cached(
                    "SELECT predecessor_id FROM renewal_handovers WHERE successor_id = ?1",
                )?
                .query_row([successor.0], |row| row.get(0))?;
            let token = take_token(change, successor, now)?.ok_or(Error::InvalidClaim)?;
            let old = store::get(change, CredentialId(predecessor))?;
            let old_ends_at = old.expires_at.min(now + GRACE_AFTER_REDEMPTION);
            if old.revoked_at.is_none() {
                store::set_expiry(change, old.id, old_ends_at)?;
            }
            change.record(
                AuditAction::CredentialHandedOver,
                Some(successor),
                json!({ "via": "claim", "old_ends_at": old_ends_at.to_rfc3339() }),
            )?;
            Ok(Redeemed {
                token,
                credential_id: successor,
                expires_at: store::get(change, successor)?.expires_at,
            })
        })
    }

    /// The renewed credentials whose secrets wait to be handed over, that the operator
    /// manages, oldest first.
    pub fn pending_handovers(&self) -> Result<Vec<Handover>> {
        let waiting: Vec<(i64, i64, i64, Option<i64>)> = self
            .conn()
            .prepare_cached(
                "SELECT successor_id, predecessor_id, renewed_at, claim_sent_at
                 FROM renewal_handovers
                 WHERE token IS NOT NULL ORDER BY renewed_at, successor_id",
            )?
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut handovers = Vec::with_capacity(waiting.len());
        for (successor, predecessor, renewed_at, claim_sent_at) in waiting {
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
                claim_sent_at: claim_sent_at.map(from_seconds),
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
            let token =
                take_token(change, successor, change.now())?.ok_or(Error::AlreadyHandedOver)?;
            change.record(
                AuditAction::CredentialHandedOver,
                Some(successor),
                json!({ "via": "reveal" }),
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

/// Who set off a renewal into hand-over: the renewal service, or an operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RenewedBy {
    /// The service, as the credential's auto-renewal fell due (`credential.auto_renewed`).
    Service,
    /// An operator's "Renew now" (`credential.renewed`, `"via": "renew_now"`).
    RenewNow,
    /// An operator's bulk renewal (`credential.renewed`, `"via": "bulk"`).
    Bulk,
}

/// Renews `id` as its auto-renewal does, in `change`: its successor (the old token runs on to
/// its expiry), the successor's secret kept for hand-over, audited as `by` says; mail and a
/// claim key go out when the credential has auto-renewal settings.
pub(super) fn auto_renew_in(
    change: &Change<'_>,
    id: CredentialId,
    by: RenewedBy,
) -> Result<CredentialId> {
    let old = store::get(change, id)?;
    if old.revoked_at.is_some() {
        return Err(Error::AlreadyRevoked);
    }
    let settings = super::auto_renewal::load(change, id)?;
    let callback = settings
        .as_ref()
        .and_then(|settings| settings.callback_url.clone())
        .map(String::from);
    let issued = successor_in(change, &old, None, None, None)?;
    let successor = issued.credential.id;
    change
        .prepare_cached(
            "INSERT INTO renewal_handovers (successor_id, predecessor_id, token, renewed_at,
                 callback_url)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute((
            successor.0,
            id.0,
            issued.token.expose(),
            change.now().timestamp(),
            &callback,
        ))?;
    change
        .prepare_cached(
            "UPDATE auto_renewals SET last_failure = NULL, last_failed_at = NULL
             WHERE credential_id = ?1",
        )?
        .execute([id.0])?;
    let via = match by {
        RenewedBy::Service => None,
        RenewedBy::RenewNow => Some("renew_now"),
        RenewedBy::Bulk => Some("bulk"),
    };
    match via {
        Some(via) => change.record(
            AuditAction::CredentialRenewed,
            Some(id),
            json!({
                "name": old.name,
                "successor": successor.0,
                "old_ends_at": old.expires_at.to_rfc3339(),
                "via": via,
            }),
        )?,
        None => change.record(
            AuditAction::CredentialAutoRenewed,
            Some(id),
            json!({ "name": old.name, "successor": successor.0 }),
        )?,
    }
    if let Some(settings) = &settings {
        let how = match by {
            RenewedBy::Service => "automatically".to_owned(),
            RenewedBy::RenewNow | RenewedBy::Bulk => format!("by {}", change.operator().name),
        };
        let (subject, body) = renewal_mail(&old, &issued.credential, &how, callback.as_deref());
        mail::enqueue(change, change.now(), &settings.recipient, &subject, &body)?;
    }
    if let Some(url) = &callback {
        let key = Secret::new(token::random_id("ks_clm_"));
        let digest = change.pepper().digest(key.expose()).as_bytes().to_vec();
        send_claim(change, change.now(), id, successor, url, &key, &digest)?;
    }
    tracing::info!(old = id.0, new = successor.0, "credential auto-renewed");
    Ok(successor)
}

/// The renewal recipient's message: what was renewed and `how` ("automatically", "by Ada
/// Holder"), the new expiry, how the new token is handed over. Never a secret.
fn renewal_mail(
    old: &Credential,
    new: &Credential,
    how: &str,
    callback: Option<&str>,
) -> (String, String) {
    let owner = old.owner_name.as_deref().unwrap_or("the organization");
    let handover = match callback {
        Some(url) => format!(
            "A claim key for the new token was sent to {url}; redeemed within 2 hours, it \
             hands the token over, and the old token stops 24 hours later."
        ),
        None => "The new token waits in Keysmith's Renewals section until someone hands it \
                 over; the old token keeps working until it expires."
            .to_owned(),
    };
    let subject = format!("Keysmith renewed \u{201c}{}\u{201d}", old.name);
    let body = format!(
        "The credential \u{201c}{}\u{201d} ({owner}) was renewed {how}.\n\n\
         New credential: #{}, expires {} (UTC).\n\
         Old credential: #{}, expires {} (UTC).\n\n{handover}\n",
        old.name,
        new.id.0,
        new.expires_at.format("%Y-%m-%d %H:%M"),
        old.id.0,
        old.expires_at.format("%Y-%m-%d %H:%M"),
    );
    (subject, body)
}

/// Takes a successor's waiting token out of the vault at `now` (wiping it, and every claim
/// key of it); `None` if it was already handed over.
fn take_token(
    conn: &Connection,
    successor: CredentialId,
    now: DateTime<Utc>,
) -> Result<Option<Secret>> {
    let token: Option<String> = conn
        .prepare_cached("SELECT token FROM renewal_handovers WHERE successor_id = ?1")?
        .query_row([successor.0], |row| row.get(0))
        .optional()?
        .flatten();
    let Some(token) = token else {
        return Ok(None);
    };
    conn.prepare_cached("DELETE FROM renewal_claims WHERE successor_id = ?1")?
        .execute([successor.0])?;
    conn.prepare_cached(
        "UPDATE renewal_handovers SET token = NULL, handed_over_at = ?2 WHERE successor_id = ?1",
    )?
    .execute((successor.0, now.timestamp()))?;
    Ok(Some(Secret::new(token)))
}

/// Offers `successor` at `url` with claim `key` (whose keyed digest is `digest`), valid for
/// [`CLAIM_VALID`]; any earlier key of it is dead from now on.
fn send_claim(
    conn: &Connection,
    now: DateTime<Utc>,
    predecessor: CredentialId,
    successor: CredentialId,
    url: &str,
    key: &Secret,
    digest: &[u8],
) -> Result<()> {
    let expires_at = now + CLAIM_VALID;
    conn.prepare_cached("DELETE FROM renewal_claims WHERE successor_id = ?1")?
        .execute([successor.0])?;
    conn.prepare_cached(
        "INSERT INTO renewal_claims (digest, successor_id, expires_at) VALUES (?1, ?2, ?3)",
    )?
    .execute((digest, successor.0, expires_at.timestamp()))?;
    conn.prepare_cached("UPDATE renewal_handovers SET claim_sent_at = ?2 WHERE successor_id = ?1")?
        .execute((successor.0, now.timestamp()))?;
    let name = store::get(conn, successor)?.name;
    let data = json!({
        "claim_key": key.expose(),
        "credential_id": predecessor.0,
        "successor_id": successor.0,
        "name": name,
        "claim_expires_at": expires_at.to_rfc3339(),
    });
    webhook::enqueue_callback(conn, now, url, CLAIM_EVENT, data)
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
