//! Expiry reminders for the desktop: a credential 7 days and 1 day before it expires, and
//! when it has expired. The expiry scan that raises the `credential.expiring` and
//! `credential.expired` webhook events raises these too ([`raise`]), whoever runs it (the app
//! or `keysmith serve`); each operator is then shown each of their reminders once
//! ([`Vault::take_expiry_reminders`]).

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use serde::Serialize;

use super::{lifecycle, store, Credential, CredentialId};
use crate::error::Result;
use crate::people::Operator;
use crate::token::TokenKind;
use crate::vault::Vault;

/// How long a reminder waits to be shown: one not seen within a week (nobody unlocked the
/// vault) is old news and dropped.
const KEPT: Duration = Duration::days(7);

/// A reminder that a credential expires soon, or has expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct ExpiryReminder {
    /// The credential.
    pub credential_id: CredentialId,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: TokenKind,
    /// 7 or 1 ahead of expiry; 0 once it has expired.
    pub days_left: u32,
    /// When it expires (or expired).
    pub expires_at: DateTime<Utc>,
}

/// Records that `credential` is `days_left` days from expiry (0: expired), once.
pub(crate) fn raise(
    conn: &Connection,
    now: DateTime<Utc>,
    credential: CredentialId,
    days_left: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO expiry_reminders (credential_id, days_left, raised_at)
         VALUES (?1, ?2, ?3)",
    )?
    .execute((credential.0, days_left, now.timestamp()))?;
    Ok(())
}

/// Drops the reminders older than they are kept (and with them who has seen them).
pub(crate) fn trim(conn: &Connection, now: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached("DELETE FROM expiry_reminders WHERE raised_at < ?1")?
        .execute([(now - KEPT).timestamp()])?;
    Ok(())
}

impl Vault {
    /// The expiry reminders the operator has not been shown, for the credentials they manage
    /// that are not revoked, oldest first, and marks them shown: each reminder reaches each
    /// operator once. When a credential has several waiting (the app was closed through the
    /// 7-day and the 1-day mark), only the nearest is returned, and all are marked.
    pub fn take_expiry_reminders(&mut self) -> Result<Vec<ExpiryReminder>> {
        let operator = self.operator().clone();
        // Asked every few seconds: only a reminder waiting takes the write lock.
        if waiting(self.conn(), &operator)?.is_empty() {
            return Ok(Vec::new());
        }
        self.bookkeeping(|conn, _| {
            let mut reminders = Vec::new();
            for (id, days_left) in waiting(conn, &operator)? {
                let credential = store::get(conn, CredentialId(id))?;
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO expiry_reminders_seen (user_id, credential_id, days_left)
                     SELECT ?1, credential_id, days_left FROM expiry_reminders
                     WHERE credential_id = ?2",
                )?
                .execute((operator.user_id.0, id))?;
                if lifecycle::authorize(conn, &operator, &credential).is_ok() {
                    reminders.push(reminder(credential, days_left));
                }
            }
            Ok(reminders)
        })
    }
}

/// The credentials (not revoked) with reminders `operator` has not seen, oldest reminder
/// first, each with the nearest of its unseen marks.
fn waiting(conn: &Connection, operator: &Operator) -> Result<Vec<(i64, i64)>> {
    Ok(conn
        .prepare_cached(
            "SELECT r.credential_id, min(r.days_left) FROM expiry_reminders r
             JOIN credentials c ON c.id = r.credential_id
             WHERE c.revoked_at IS NULL AND NOT EXISTS (
                 SELECT 1 FROM expiry_reminders_seen s WHERE s.user_id = ?1
                 AND s.credential_id = r.credential_id AND s.days_left = r.days_left)
             GROUP BY r.credential_id ORDER BY min(r.raised_at), r.credential_id",
        )?
        .query_map([operator.user_id.0], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

fn reminder(credential: Credential, days_left: i64) -> ExpiryReminder {
    ExpiryReminder {
        credential_id: credential.id,
        name: credential.name,
        kind: credential.kind,
        days_left: u32::try_from(days_left).unwrap_or_default(),
        expires_at: credential.expires_at,
    }
}
