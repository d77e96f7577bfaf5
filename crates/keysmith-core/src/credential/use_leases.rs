//! Spending a usage limit's uses without a database write per verification, yet never more
//! than the limit across every process that verifies.
//!
//! The vault holds each limited credential's uses left (`credential_uses`). A process takes a
//! *lease* of some of them in one short write transaction — a 64th of what is left, at most
//! [`MAX_LEASE`] and at least one — and spends it in memory; when it runs out it leases again.
//! Leases shrink as the pool does, so the last uses go one at a time. A lease not spent from
//! since the last flush (every second in the server) goes back then, every lease goes back
//! when the process's vault handles close, and none across a refill (a new period starts
//! full). So the uses spent in all processes together never exceed the limit; a process killed
//! before it gives its lease back loses those uses (at most a 64th of what was left, and
//! [`MAX_LEASE`]), never grants extra ones. A read-only handle (`keysmith verify`) checks that
//! a use is left and spends none.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::restrictions::UsageLimit;
use super::CredentialId;
use crate::error::Result;
use crate::vault::IntegrityCheck;

/// The most uses one lease takes.
pub const MAX_LEASE: u32 = 1024;
/// A lease takes this share of the uses left: 1/64.
const LEASE_SHARE: u32 = 64;

/// The uses this process has leased and not spent yet, per credential.
#[derive(Debug, Default)]
pub(crate) struct UseLeases {
    held: Mutex<HashMap<CredentialId, Lease>>,
}

#[derive(Debug, Clone, Copy)]
struct Lease {
    /// Uses still to spend.
    left: u32,
    /// The period they belong to (0 without a refill).
    period: i64,
    /// The uses left in the vault when it was taken: with `left`, the best estimate of what
    /// remains.
    pool: u32,
    /// Whether a use was spent from it since the last flush; an idle lease goes back.
    spent: bool,
}

/// Which leases [`UseLeases::give_back`] gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveBack {
    /// Those not spent from since the last time (a server's flush).
    Idle,
    /// All of them (the vault closing).
    All,
}

/// The outcome of taking one use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    /// One use was taken; about this many remain (exact while one process verifies).
    Remaining(u32),
    /// None are left until the next refill (or ever, without one).
    Exhausted,
}

impl UseLeases {
    /// Takes one use of `credential`, limited by `limit`, at `now`: from this process's lease,
    /// or from a new lease written through `conn` once `integrity` has passed.
    pub(crate) fn take(
        &self,
        conn: &Connection,
        credential: CredentialId,
        limit: UsageLimit,
        now: DateTime<Utc>,
        integrity: &IntegrityCheck,
    ) -> Result<Taken> {
        let period = limit.period_at(now);
        if let Some(remaining) = self.spend_held(credential, period) {
            return Ok(Taken::Remaining(remaining));
        }
        let query_only: bool = conn.pragma_query_value(None, "query_only", |row| row.get(0))?;
        if query_only {
            return peek(conn, credential, limit, period);
        }
        integrity.wait()?;
        let Some(mut lease) = lease_more(conn, credential, limit, period)? else {
            return Ok(Taken::Exhausted);
        };
        lease.left -= 1;
        let remaining = lease.left + lease.pool;
        // Another thread may have leased meanwhile: both leases are this process's to spend.
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = held.entry(credential).or_insert(Lease { left: 0, ..lease });
        if entry.period != period {
            *entry = Lease { left: 0, ..lease };
        }
        entry.left += lease.left;
        entry.pool = lease.pool;
        entry.spent = true;
        Ok(Taken::Remaining(remaining))
    }

    /// Puts one use back into the lease of `credential` (taken by [`UseLeases::take`], which
    /// always leaves its lease held, if emptied).
    pub(crate) fn refund(&self, credential: CredentialId) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(lease) = held.get_mut(&credential) {
            lease.left += 1;
        }
    }

    /// Spends one use of a lease held for `period`, if there is one; a lease of an earlier
    /// period is dropped (its uses were refilled).
    fn spend_held(&self, credential: CredentialId, period: i64) -> Option<u32> {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        let lease = held.get_mut(&credential)?;
        if lease.period != period || lease.left == 0 {
            held.remove(&credential);
            return None;
        }
        lease.left -= 1;
        lease.spent = true;
        Some(lease.left + lease.pool)
    }

    /// Gives the unspent uses of `which` leases back to the vault through `conn`, in one
    /// transaction; uses of a period that has ended since are dropped, and a credential whose
    /// limit was changed (or which was deleted) meanwhile takes back no more than its new
    /// limit. On failure the leases are kept, to go back next time.
    pub(crate) fn give_back(&self, conn: &Connection, which: GiveBack) -> Result<()> {
        let leases: Vec<(CredentialId, Lease)> = {
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            let mut going = Vec::new();
            held.retain(|&credential, lease| {
                if which == GiveBack::Idle && lease.spent {
                    lease.spent = false;
                    return true;
                }
                if lease.left > 0 {
                    going.push((credential, *lease));
                }
                false
            });
            going
        };
        if leases.is_empty() {
            return Ok(());
        }
        let written = (|| -> Result<()> {
            let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
            {
                let mut give = tx.prepare_cached(
                    "UPDATE credential_uses
                     SET uses_left = min(uses_left + ?2,
                         (SELECT max_uses FROM credentials WHERE id = ?1))
                     WHERE credential_id = ?1 AND period = ?3",
                )?;
                for (credential, lease) in &leases {
                    give.execute((credential.0, lease.left, lease.period))?;
                }
            }
            tx.commit()?;
            Ok(())
        })();
        if written.is_err() {
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            for (credential, lease) in leases {
                held.entry(credential).or_insert(lease);
            }
        }
        written
    }
}

/// Leases uses of `credential` for `period` in one IMMEDIATE transaction: refills the pool
/// when its period has ended, takes a 64th of it (1 to [`MAX_LEASE`]). `None` when the pool
/// is empty.
fn lease_more(
    conn: &Connection,
    credential: CredentialId,
    limit: UsageLimit,
    period: i64,
) -> Result<Option<Lease>> {
    let tx = rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let pool = pool_left(&tx, credential, limit, period)?;
    if pool == 0 {
        return Ok(None);
    }
    let lease = (pool / LEASE_SHARE).clamp(1, MAX_LEASE);
    tx.prepare_cached(
        "INSERT INTO credential_uses (credential_id, uses_left, period) VALUES (?1, ?2, ?3)
         ON CONFLICT (credential_id) DO UPDATE SET uses_left = ?2, period = ?3",
    )?
    .execute((credential.0, pool - lease, period))?;
    tx.commit()?;
    Ok(Some(Lease {
        left: lease,
        period,
        pool: pool - lease,
        spent: true,
    }))
}

/// A read-only handle's answer (`keysmith verify`, say): whether a use is left, spending none.
fn peek(
    conn: &Connection,
    credential: CredentialId,
    limit: UsageLimit,
    period: i64,
) -> Result<Taken> {
    Ok(match pool_left(conn, credential, limit, period)? {
        0 => Taken::Exhausted,
        left => Taken::Remaining(left),
    })
}

/// Sets the uses left of `credential` to `limit`'s full number for the period of `now` (at
/// issue, and when an edit changes the limit); without a limit, forgets them.
pub(crate) fn reset(
    conn: &Connection,
    credential: CredentialId,
    limit: Option<UsageLimit>,
    now: DateTime<Utc>,
) -> Result<()> {
    match limit {
        Some(limit) => conn
            .prepare_cached(
                "INSERT INTO credential_uses (credential_id, uses_left, period) VALUES (?1, ?2, ?3)
                 ON CONFLICT (credential_id) DO UPDATE SET uses_left = ?2, period = ?3",
            )?
            .execute((credential.0, limit.max_uses(), limit.period_at(now)))?,
        None => conn
            .prepare_cached("DELETE FROM credential_uses WHERE credential_id = ?1")?
            .execute([credential.0])?,
    };
    Ok(())
}

/// The uses the vault has left of `credential` in `period`: a refilled limit starts each
/// period full, and a stored count is never above the limit.
fn pool_left(
    conn: &Connection,
    credential: CredentialId,
    limit: UsageLimit,
    period: i64,
) -> Result<u32> {
    Ok(match stored(conn, credential)? {
        Some((left, stored_period)) if stored_period == period => left.min(limit.max_uses()),
        _ => limit.max_uses(),
    })
}

/// The uses left stored for `credential` and the period they belong to, if any are.
fn stored(conn: &Connection, credential: CredentialId) -> Result<Option<(u32, i64)>> {
    Ok(conn
        .prepare_cached("SELECT uses_left, period FROM credential_uses WHERE credential_id = ?1")?
        .query_row([credential.0], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}
