//! Successful verifications waiting to be written as "last used": the latest time per
//! credential (or per OAuth grant), taken in one batch by each flush.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};

/// Uses of the things `K` names (credentials, grants) recorded since the last flush.
pub(crate) struct Usage<K> {
    pending: Mutex<HashMap<K, DateTime<Utc>>>,
}

impl<K> Default for Usage<K> {
    fn default() -> Self {
        Usage {
            pending: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Copy + Eq + Hash + Ord> Usage<K> {
    /// Notes that `credential` verified at `at`.
    pub(crate) fn record(&self, credential: K, at: DateTime<Utc>) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let latest = pending.entry(credential).or_insert(at);
        *latest = (*latest).max(at);
    }

    /// Puts back `uses` that could not be written, to go with the next flush; a newer use
    /// recorded meanwhile wins.
    pub(crate) fn restore(&self, uses: Vec<(K, DateTime<Utc>)>) {
        for (credential, at) in uses {
            self.record(credential, at);
        }
    }

    /// Everything recorded so far in id order (neighbouring rows share pages when written),
    /// emptying the batch.
    pub(crate) fn take(&self) -> Vec<(K, DateTime<Utc>)> {
        let mut uses: Vec<_> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.drain().collect()
        };
        uses.sort_unstable_by_key(|(id, _)| *id);
        uses
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use keysmith_core::CredentialId;

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
