//! Per-credential rate limits: a GCRA limiter (the `governor` crate) for each credential, at
//! that credential's own requests-per-minute, created on its first verification or exchange.
//! And [`FailedAttempts`]: guessing a client secret is limited per client ID.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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

/// Failed client authentications allowed per client ID and minute.
pub(crate) const FAILURES_PER_MINUTE: u32 = 10;
/// How long a window of failures lasts.
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Client IDs tracked at most. Past that (after dropping finished windows) new IDs are not
/// tracked: a flood of made-up IDs cannot grow memory, and an ID under attack is already in.
const TRACKED_IDS: usize = 100_000;

/// Failed client authentications per client ID, in one-minute windows: past
/// [`FAILURES_PER_MINUTE`], every attempt for that ID is refused until its window is over,
/// right secret or not.
#[derive(Default)]
pub(crate) struct FailedAttempts {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl FailedAttempts {
    /// `Err` with the whole seconds to wait when `client_id` has failed too often.
    pub(crate) fn check(&self, client_id: &str, now: Instant) -> Result<(), u64> {
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        match windows.get(client_id) {
            Some(&(started, failures))
                if failures >= FAILURES_PER_MINUTE && now < started + FAILURE_WINDOW =>
            {
                let wait = started + FAILURE_WINDOW - now;
                Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt for `client_id`.
    pub(crate) fn record(&self, client_id: &str, now: Instant) {
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() >= TRACKED_IDS && !windows.contains_key(client_id) {
            windows.retain(|_, (started, _)| now < *started + FAILURE_WINDOW);
            if windows.len() >= TRACKED_IDS {
                return;
            }
        }
        let window = windows.entry(client_id.to_owned()).or_insert((now, 0));
        if now >= window.0 + FAILURE_WINDOW {
            *window = (now, 0);
        }
        window.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_a_minute_then_the_client_id_waits_for_its_window() {
        let failures = FailedAttempts::default();
        let start = Instant::now();
        for _ in 0..FAILURES_PER_MINUTE {
            assert!(failures.check("ks_id_a", start).is_ok());
            failures.record("ks_id_a", start);
        }
        let wait = failures.check("ks_id_a", start).unwrap_err();
        assert_eq!(wait, 60);
        // Other client IDs are not affected; the window ends after a minute.
        assert!(failures.check("ks_id_b", start).is_ok());
        let later = start + FAILURE_WINDOW;
        assert!(failures.check("ks_id_a", later).is_ok());
        failures.record("ks_id_a", later);
        assert!(failures.check("ks_id_a", later).is_ok());
    }

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
