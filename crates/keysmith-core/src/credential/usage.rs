//! When credentials were last used. Verification itself never writes (it is a read on the hot
//! path); whoever serves verifications collects the successful ones and records them here in
//! batches, one transaction per batch.

use chrono::{DateTime, Utc};

use super::CredentialId;
use crate::error::Result;
use crate::vault::Vault;

impl Vault {
    /// Moves each credential's `last_used_at` forward to the time given for it (never back).
    pub fn record_uses(&mut self, uses: &[(CredentialId, DateTime<Utc>)]) -> Result<()> {
        if uses.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        {
            let mut update = tx.prepare_cached(
                "UPDATE credentials SET last_used_at = max(ifnull(last_used_at, 0), ?2)
                 WHERE id = ?1",
            )?;
            for (id, at) in uses {
                update.execute((id.0, at.timestamp()))?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
