//! The limits a form can check before it asks the core — the very constants the core checks
//! with, gathered in one value the app exports to its UI, so no limit is typed twice.

use serde::Serialize;

use crate::credential::{Expiry, RateLimit, UsageLimit, MAX_ALLOWED_IPS};
use crate::settings::Settings;
use crate::text::{Description, Name};
use crate::vault::MIN_PASSPHRASE_CHARS;

/// Every limit a form shows before asking the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// The most characters in a name.
    pub name_max_chars: usize,
    /// The most characters in a description.
    pub description_max_chars: usize,
    /// The furthest an expiry may lie ahead, in days.
    pub expiry_max_days: i64,
    /// The fewest characters in a passphrase.
    pub passphrase_min_chars: usize,
    /// The smallest rate limit, in requests per minute.
    pub rate_limit_min: u32,
    /// The largest rate limit, in requests per minute.
    pub rate_limit_max: u32,
    /// The rate limit when none is chosen.
    pub rate_limit_default: u32,
    /// The most uses a usage limit may allow.
    pub max_uses_max: u32,
    /// The most addresses and ranges an allowlist may have.
    pub allowed_ips_max: usize,
    /// The shortest and longest clipboard clear delay, in seconds.
    pub clipboard_clear_seconds: (u32, u32),
    /// The shortest and longest idle time before the vault locks, in minutes.
    pub auto_lock_minutes: (u32, u32),
}

/// The limits in force.
pub const LIMITS: Limits = Limits {
    name_max_chars: Name::MAX_CHARS,
    description_max_chars: Description::MAX_CHARS,
    expiry_max_days: Expiry::MAX_DAYS,
    passphrase_min_chars: MIN_PASSPHRASE_CHARS,
    rate_limit_min: RateLimit::MIN,
    rate_limit_max: RateLimit::MAX,
    rate_limit_default: RateLimit::DEFAULT.per_minute(),
    max_uses_max: UsageLimit::MAX_USES,
    allowed_ips_max: MAX_ALLOWED_IPS,
    clipboard_clear_seconds: Settings::CLIPBOARD_SECONDS,
    auto_lock_minutes: Settings::AUTO_LOCK_MINUTES,
};
