//! When credentials were last used. Verification itself never writes (it is a read on the hot
//! path); whoever serves verifications collects the successful ones and records them through a
//! [`UsageRecorder`] in batches, one statement per batch, on a connection of its own.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::CredentialId;
use crate::error::Result;
use crate::oauth::GrantId;
use crate::vault::{IntegrityCheck, Vault};

/// Writes "last used" times on its own connection to a vault, so that a batch being written
/// never holds up the connection that verifies (the vault is in WAL mode: readers and one
/// writer proceed together).
pub struct UsageRecorder {
    conn: Connection,
    /// The session's integrity check: nothing is written before it passes.
    integrity: Arc<IntegrityCheck>,
}

impl std::fmt::Debug for UsageRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageRecorder").finish_non_exhaustive()
    }
}

impl Vault {
    /// A recorder of uses over a second connection to this vault.
    pub fn usage_recorder(&self) -> Result<UsageRecorder> {
        Ok(UsageRecorder {
            conn: self.open_connection()?,
            integrity: self.integrity_check(),
        })
    }
}

impl UsageRecorder {
    /// Moves each credential's `last_used_at` forward to the time given for it (never back),
    /// all at once (one statement is one transaction). Uses of credentials deleted since are
    /// dropped.
    pub fn record(&mut self, uses: &[(CredentialId, DateTime<Utc>)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        self.integrity.wait()?;
        // One statement over a JSON array of [id, time] pairs: half the cost of a statement
        // per use, which matters when a busy server records thousands a second.
        let pairs: Vec<[i64; 2]> = uses.iter().map(|(id, at)| [id.0, at.timestamp()]).collect();
        self.conn.execute(
            "INSERT INTO credential_usage (credential_id, last_used_at)
             SELECT u.value ->> 0, u.value ->> 1 FROM json_each(?1) u
             WHERE EXISTS (SELECT 1 FROM credentials WHERE id = u.value ->> 0)
             ON CONFLICT (credential_id)
             DO UPDATE SET last_used_at = max(last_used_at, excluded.last_used_at)",
            [serde_json::json!(pairs).to_string()],
        )?;
        Ok(())
    }

    /// Moves each OAuth grant's `last_used_at` forward to the time given for it (its access
    /// tokens verified then), never back, in one statement. Uses of grants deleted since are
    /// dropped.
    pub fn record_grants(&mut self, uses: &[(GrantId, DateTime<Utc>)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        self.integrity.wait()?;
        let pairs: Vec<[i64; 2]> = uses.iter().map(|(id, at)| [id.0, at.timestamp()]).collect();
        self.conn.execute(
            "UPDATE oauth_grants SET last_used_at = max(ifnull(last_used_at, 0), u.value ->> 1)
             FROM json_each(?1) u WHERE oauth_grants.id = u.value ->> 0",
            [serde_json::json!(pairs).to_string()],
        )?;
        Ok(())
    }
}
