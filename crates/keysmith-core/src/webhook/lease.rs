//! A lease in the vault: a named role (delivering webhooks) that one process at a time holds,
//! renewed by its holder while it works and taken over by another once it has lapsed (its
//! holder crashed or stopped). Two processes on one vault therefore never both deliver.

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use crate::error::Result;

/// Takes or renews the lease `name` for `holder` until `now + ttl`; false when another
/// holder's lease has not lapsed yet.
pub(crate) fn take(
    conn: &Connection,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> Result<bool> {
    let changed = conn
        .prepare_cached(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,
                 expires_at = excluded.expires_at
             WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4",
        )?
        .execute((name, holder, (now + ttl).timestamp(), now.timestamp()))?;
    Ok(changed == 1)
}

/// Gives the lease up, if `holder` has it, so another process may take it at once.
pub(crate) fn release(conn: &Connection, name: &str, holder: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM leases WHERE name = ?1 AND holder = ?2")?
        .execute((name, holder))?;
    Ok(())
}
