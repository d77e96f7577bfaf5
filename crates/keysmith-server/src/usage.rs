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

    /// Puts back `uses` that could not be written, to go with the next flush; a newer use
    /// recorded meanwhile wins.
    pub(crate) fn restore(&self, uses: Vec<(CredentialId, DateTime<Utc>)>) {
        for (credential, at) in uses {
            self.record(credential, at);
        }
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_batch_put_back_goes_with_the_next_one_and_newer_uses_win() {
        let usage = Usage::default();
        let at = |second| Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, second).unwrap();
        usage.record(CredentialId(2), at(1));
        usage.record(CredentialId(1), at(2));
        let failed = usage.take();
        assert!(usage.take().is_empty());
        usage.record(CredentialId(2), at(5));
        usage.restore(failed);
        assert_eq!(
            usage.take(),
            [(CredentialId(1), at(2)), (CredentialId(2), at(5))]
        );
    }
}
