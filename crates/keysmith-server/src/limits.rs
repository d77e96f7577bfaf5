//! Per-credential rate limits: a GCRA limiter (the `governor` crate) for each credential, at
//! that credential's own requests-per-minute, created on its first verification.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use keysmith_core::CredentialId;

/// The limiters of every credential verified so far.
#[derive(Default)]
pub(crate) struct RateLimits {
    limiters: Mutex<HashMap<CredentialId, Arc<DefaultDirectRateLimiter>>>,
}

impl RateLimits {
    /// Counts one verification of `credential`, limited to `per_minute`; `Err` holds the
    /// whole seconds to wait before the next one is allowed.
    pub(crate) fn check(&self, credential: CredentialId, per_minute: u32) -> Result<(), u64> {
        let limiter = {
            let mut limiters = self.limiters.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(limiters.entry(credential).or_insert_with(|| {
                let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
                Arc::new(RateLimiter::direct(Quota::per_minute(rate)))
            }))
        };
        limiter.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_limit_passes_and_the_next_one_waits() {
        let limits = RateLimits::default();
        for _ in 0..30 {
            assert!(limits.check(CredentialId(1), 30).is_ok());
        }
        let wait = limits.check(CredentialId(1), 30).unwrap_err();
        assert!((1..=2).contains(&wait), "wait {wait}");
        // Each credential has its own budget.
        assert!(limits.check(CredentialId(2), 30).is_ok());
    }
}
