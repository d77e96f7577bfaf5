//! Successful verifications waiting to be written as "last used": the latest time per
//! credential, taken in one batch by each flush.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use keysmith_core::CredentialId;

/// Uses recorded since the last flush.
#[derive(Default)]
pub(crate) struct Usage {
    pending: Mutex<HashMap<CredentialId, DateTime<Utc>>>,
}

impl Usage {
    /// Notes that `credential` verified at `at`.
    pub(crate) fn record(&self, credential: CredentialId, at: DateTime<Utc>) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let latest = pending.entry(credential).or_insert(at);
        *latest = (*latest).max(at);
    }

    /// Everything recorded so far in credential order (neighbouring rows share pages when
    /// written), emptying the batch.
    pub(crate) fn take(&self) -> Vec<(CredentialId, DateTime<Utc>)> {
        let mut uses: Vec<_> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.drain().collect()
        };
        uses.sort_unstable_by_key(|(id, _)| id.0);
        uses
    }
}
