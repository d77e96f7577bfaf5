//! Per-credential rate limits: a GCRA limiter (the `governor` crate) for each credential, at
//! that credential's own requests-per-minute, created on its first verification or exchange.
//! And [`CallerLimit`]: per caller, guessing a client secret or a claim key, and starting
//! OAuth sign-in requests.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use keysmith_core::CredentialId;

use crate::gateway::Forwarded;
use crate::ApiState;

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

/// Failed attempts allowed per caller and target a minute.
pub(crate) const FAILURES_PER_MINUTE: u32 = 10;
/// OAuth sign-in requests one caller may start for one app in [`SIGN_IN_WINDOW`]: as many as
/// may wait for a decision before they expire.
pub(crate) const SIGN_INS_PER_WINDOW: u32 = 20;
/// A sign-in request's life (`keysmith_core::oauth` keeps it ten minutes).
const SIGN_IN_WINDOW: Duration = Duration::from_secs(600);
/// The table: [`SETS`] sets of [`WAYS`] windows, 4,096 in all (about 100 KiB),
/// however many callers and made-up names arrive. A new window takes a free or finished place
/// in its set, else the oldest one's.
const SETS: usize = 1024;
const WAYS: usize = 4;

/// What a caller is counted at: a client ID (only one in Keysmith's format is ever counted),
/// renewal claim keys (any claim key: each is 128 random bits, so what is limited is the
/// caller's guessing, not a key), or an OAuth app's sign-in requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Target<'a> {
    /// Authenticating as this client (credentials or an OAuth app).
    Client(&'a str),
    /// Redeeming renewal claim keys.
    RenewalClaims,
    /// Starting sign-in requests (authorize, device authorization) of the app with this
    /// client ID.
    SignIns(&'a str),
    /// Joining a team vault with invitations (any: each is 128 random bits).
    TeamSignIn,
    /// Opening sessions and signing requests as the device with this id.
    Device(i64),
}

/// Attempts per caller and [`Target`], in windows of a fixed length: past the limit, that
/// caller's attempts at that target are refused until its window is over (for failures: right
/// secret or not). Other callers are not affected, so no one can lock a client or an app out
/// for its real users. A caller is an address; an IPv6 caller is its /64, the block one host
/// is given. Windows are kept under a keyed hash in a table of fixed size.
pub(crate) struct CallerLimit {
    limit: u32,
    window: Duration,
    keys: RandomState,
    windows: Mutex<Box<[Option<Window>]>>,
}

/// One caller's attempts at one target.
#[derive(Debug, Clone, Copy)]
struct Window {
    key: u64,
    started: Instant,
    count: u32,
}

impl CallerLimit {
    /// Failed authentications and redemptions: [`FAILURES_PER_MINUTE`] a minute.
    pub(crate) fn failures() -> CallerLimit {
        CallerLimit::new(FAILURES_PER_MINUTE, Duration::from_secs(60))
    }

    /// Sign-in requests started: [`SIGN_INS_PER_WINDOW`] in a request's life.
    pub(crate) fn sign_ins() -> CallerLimit {
        CallerLimit::new(SIGN_INS_PER_WINDOW, SIGN_IN_WINDOW)
    }

    fn new(limit: u32, window: Duration) -> CallerLimit {
        CallerLimit {
            limit,
            window,
            keys: RandomState::new(),
            windows: Mutex::new(vec![None; SETS * WAYS].into_boxed_slice()),
        }
    }

    fn is_over(&self, window: &Window, now: Instant) -> bool {
        now >= window.started + self.window
    }

    /// `Err` with the whole seconds to wait when `caller` has reached the limit at `target`.
    pub(crate) fn check(
        &self,
        caller: IpAddr,
        target: Target<'_>,
        now: Instant,
    ) -> Result<(), u64> {
        let key = self.key(caller, target);
        let windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        match windows[places(key)].iter().flatten().find(|w| w.key == key) {
            Some(window) if window.count >= self.limit && !self.is_over(window, now) => {
                let wait = window.started + self.window - now;
                Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
            _ => Ok(()),
        }
    }

    /// Counts an attempt by `caller` at `target`.
    pub(crate) fn record(&self, caller: IpAddr, target: Target<'_>, now: Instant) {
        let key = self.key(caller, target);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        let set = &mut windows[places(key)];
        let place = set
            .iter()
            .position(|w| w.is_some_and(|w| w.key == key))
            .or_else(|| {
                set.iter()
                    .position(|w| w.is_none_or(|w| self.is_over(&w, now)))
            })
            .unwrap_or_else(|| {
                // Every place holds a live window: the oldest makes room.
                (0..WAYS)
                    .min_by_key(|&i| set[i].map(|w| w.started))
                    .unwrap_or(0)
            });
        let window = match set[place] {
            Some(window) if window.key == key && !self.is_over(&window, now) => window,
            _ => Window {
                key,
                started: now,
                count: 0,
            },
        };
        set[place] = Some(Window {
            count: window.count.saturating_add(1),
            ..window
        });
    }

    fn key(&self, caller: IpAddr, target: Target<'_>) -> u64 {
        self.keys.hash_one((caller_block(caller), target))
    }
}

/// Who is asking, for counting failures: the client a trusted proxy forwarded the request
/// for (as forward auth reads it), else the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller(pub(crate) IpAddr);

impl FromRequestParts<Arc<ApiState>> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ApiState>,
    ) -> Result<Self, Self::Rejection> {
        // Every connection carries its peer (connections::accept); a request without one is
        // counted under the unspecified address.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(peer)| {
                peer.ip()
            });
        let client = Forwarded::from_headers(&parts.headers)
            .client(peer, || crate::lock(&state.instant).trusted_proxies());
        Ok(Caller(match client {
            Ok(Some(client)) => client,
            // A forwarded address that cannot be read, or a busy vault: the proxy itself.
            _ => peer,
        }))
    }
}

/// The places of the table `key` may take: its set.
fn places(key: u64) -> std::ops::Range<usize> {
    let first = (key as usize % SETS) * WAYS;
    first..first + WAYS
}

/// The address a caller is counted under: an IPv4 address (an IPv4-mapped IPv6 one as
/// such), or an IPv6 address's /64.
pub(crate) fn caller_block(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn ten_failures_a_minute_then_the_caller_waits_for_its_window() {
        let failures = CallerLimit::failures();
        let start = Instant::now();
        let client = Target::Client("ks_id_a");
        for _ in 0..FAILURES_PER_MINUTE {
            assert!(failures.check(CALLER, client, start).is_ok());
            failures.record(CALLER, client, start);
        }
        let wait = failures.check(CALLER, client, start).unwrap_err();
        assert_eq!(wait, 60);
        // Other client IDs, other targets and other callers (the client's real owner) are
        // not affected; the window ends after a minute.
        assert!(failures
            .check(CALLER, Target::Client("ks_id_b"), start)
            .is_ok());
        assert!(failures.check(CALLER, Target::RenewalClaims, start).is_ok());
        assert!(failures.check(OTHER, client, start).is_ok());
        let later = start + Duration::from_secs(60);
        assert!(failures.check(CALLER, client, later).is_ok());
        failures.record(CALLER, client, later);
        assert!(failures.check(CALLER, client, later).is_ok());
    }

    #[test]
    fn an_ipv6_caller_is_its_slash_64_and_a_mapped_ipv4_caller_its_ipv4_address() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let same_host: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let next_block: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(caller_block(one), caller_block(same_host));
        assert_ne!(caller_block(one), caller_block(next_block));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(caller_block(mapped), CALLER);

        let failures = CallerLimit::failures();
        let now = Instant::now();
        for _ in 0..FAILURES_PER_MINUTE {
            failures.record(one, Target::RenewalClaims, now);
        }
        assert!(failures
            .check(same_host, Target::RenewalClaims, now)
            .is_err());
        assert!(failures
            .check(next_block, Target::RenewalClaims, now)
            .is_ok());
    }

    #[test]
    fn a_flood_of_made_up_targets_keeps_the_table_its_size_and_still_counts() {
        let failures = CallerLimit::failures();
        let now = Instant::now();
        let caller_under_watch = "ks_id_watched";
        for _ in 0..FAILURES_PER_MINUTE {
            failures.record(CALLER, Target::Client(caller_under_watch), now);
        }
        // Ten times the table's size in fresh names from fresh callers, a second later.
        let later = now + Duration::from_secs(1);
        for i in 0..(SETS * WAYS * 10) as u32 {
            let caller = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            failures.record(caller, Target::Client(&format!("ks_id_{i}")), later);
        }
        let windows = failures.windows.lock().unwrap();
        assert_eq!(windows.len(), SETS * WAYS);
        assert!(windows.iter().all(Option::is_some));
        drop(windows);
        // A new failure is still counted: the tenth from a fresh caller locks it out.
        let fresh = Target::Client("ks_id_fresh");
        for _ in 0..FAILURES_PER_MINUTE {
            failures.record(OTHER, fresh, later);
        }
        assert!(failures.check(OTHER, fresh, later).is_err());
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
