//! What a credential may carry beside its scopes and applications: a usage limit (a number of
//! successful verifications, optionally refilled every day or month) and an allowlist of the
//! client addresses it may be used from. Both are chosen at issue and changed by an edit; a
//! renewal carries them over (with the uses full again).

use std::net::IpAddr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// When a usage limit fills up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Refill {
    /// At 00:00 UTC every day.
    Daily,
    /// At 00:00 UTC on the first of every month.
    Monthly,
}

impl Refill {
    /// The stable name stored in the vault: `daily` or `monthly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Refill::Daily => "daily",
            Refill::Monthly => "monthly",
        }
    }

    /// The refill stored as `name`.
    pub fn from_name(name: &str) -> Option<Refill> {
        [Refill::Daily, Refill::Monthly]
            .into_iter()
            .find(|refill| refill.as_str() == name)
    }

    /// The start of the period `at` falls in.
    pub fn period_start(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let day = at.date_naive();
        let first = match self {
            Refill::Daily => day,
            Refill::Monthly => day.with_day(1).unwrap_or(day),
        };
        first.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The start of the period after the one starting at `start`.
    pub fn next_start(self, start: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Refill::Daily => start + Duration::days(1),
            Refill::Monthly => {
                let day = start.date_naive();
                let (year, month) = if day.month() == 12 {
                    (day.year() + 1, 1)
                } else {
                    (day.year(), day.month() + 1)
                };
                NaiveDate::from_ymd_opt(year, month, 1).map_or(start, |first| {
                    first.and_time(chrono::NaiveTime::MIN).and_utc()
                })
            }
        }
    }
}

/// A number of successful verifications a credential may have, in all or per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageLimit {
    max_uses: u32,
    refill: Option<Refill>,
}

impl UsageLimit {
    /// The largest number of uses.
    pub const MAX_USES: u32 = 1_000_000_000;

    /// Validates a limit of `max_uses` (1 to [`UsageLimit::MAX_USES`]), refilled to that
    /// number every period of `refill`, if given.
    pub fn new(max_uses: u32, refill: Option<Refill>) -> Result<Self> {
        if (1..=Self::MAX_USES).contains(&max_uses) {
            Ok(UsageLimit { max_uses, refill })
        } else {
            Err(Error::InvalidUsageLimit {
                max: Self::MAX_USES,
            })
        }
    }

    /// The uses in all, or per period.
    pub fn max_uses(&self) -> u32 {
        self.max_uses
    }

    /// When the uses fill up again, if they do.
    pub fn refill(&self) -> Option<Refill> {
        self.refill
    }

    /// The period (its start, seconds since the epoch) that `at` falls in: 0 for a limit that
    /// is never refilled.
    pub(crate) fn period_at(&self, at: DateTime<Utc>) -> i64 {
        self.refill
            .map_or(0, |refill| refill.period_start(at).timestamp())
    }
}

/// The most entries an allowlist may have.
pub const MAX_ALLOWED_IPS: usize = 64;

/// The addresses and ranges (IPv4 and IPv6, in CIDR notation or single addresses) a
/// credential may be used from; empty means from anywhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpAllowlist(Vec<IpNet>);

impl IpAllowlist {
    /// Parses `entries` (`203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32` …); the first that is
    /// not an address or a range is [`Error::InvalidIpRange`]. Host bits in a range are
    /// dropped (`10.1.2.3/8` is `10.0.0.0/8`), duplicates kept once.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self> {
        if entries.len() > MAX_ALLOWED_IPS {
            return Err(Error::InvalidIpRange(format!(
                "at most {MAX_ALLOWED_IPS} addresses or ranges"
            )));
        }
        let mut ranges = Vec::with_capacity(entries.len());
        for entry in entries {
            let text = entry.as_ref().trim();
            let range = match text.parse::<IpNet>() {
                Ok(range) => range.trunc(),
                Err(_) => text
                    .parse::<IpAddr>()
                    .map(|address| IpNet::from(canonical(address)))
                    .map_err(|_| {
                        let shown: String = text.chars().take(60).collect();
                        Error::InvalidIpRange(format!(
                            "{shown:?} is not an IP address or a CIDR range"
                        ))
                    })?,
            };
            if !ranges.contains(&range) {
                ranges.push(range);
            }
        }
        Ok(IpAllowlist(ranges))
    }

    /// Whether no address is listed (the credential may be used from anywhere).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `client` may use the credential: always with an empty list; otherwise only a
    /// known address inside one of the ranges (an IPv4 address arriving as `::ffff:a.b.c.d`
    /// counts as that IPv4 address).
    pub fn allows(&self, client: Option<IpAddr>) -> bool {
        self.0.is_empty() || client.is_some_and(|client| self.contains(client))
    }

    /// Whether `address` is inside one of the ranges (never, for an empty list).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|range| range.contains(&address))
    }

    /// The entries as text, as stored and shown (`10.0.0.0/8`, `203.0.113.7/32`).
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(IpNet::to_string).collect()
    }
}

/// `address`, with an IPv4-mapped IPv6 address as the IPv4 address it carries.
fn canonical(address: IpAddr) -> IpAddr {
    address.to_canonical()
}

/// A usage limit and an allowlist: what a new credential is restricted to beyond its scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restrictions {
    /// Its usage limit; unlimited when absent.
    pub usage: Option<UsageLimit>,
    /// Where it may be used from.
    pub allowed_ips: IpAllowlist,
}

impl Restrictions {
    /// Validates the fields a form or the command line sends: `max_uses` with its `refill`
    /// (a refill without a number is [`Error::InvalidUsageLimit`]), and the allowlist.
    pub fn from_fields(
        max_uses: Option<u32>,
        refill: Option<Refill>,
        allowed_ips: &[String],
    ) -> Result<Self> {
        let usage = match (max_uses, refill) {
            (Some(max_uses), refill) => Some(UsageLimit::new(max_uses, refill)?),
            (None, Some(_)) => {
                return Err(Error::InvalidUsageLimit {
                    max: UsageLimit::MAX_USES,
                })
            }
            (None, None) => None,
        };
        Ok(Restrictions {
            usage,
            allowed_ips: IpAllowlist::parse(allowed_ips)?,
        })
    }
}

/// A credential's usage limit as the vault last wrote it: shown in the inventory and the
/// detail panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct Uses {
    /// The uses in all, or per period.
    pub max_uses: u32,
    /// When they fill up again, if they do.
    pub refill: Option<Refill>,
    /// The uses left (those leased by a running server and not yet made count as spent)
    /// until `refills_at`.
    pub left: u32,
    /// When `left` fills up to `max_uses` again; absent without a refill.
    pub refills_at: Option<DateTime<Utc>>,
}

impl Uses {
    /// The state of a limit of `max_uses` refilled by `refill`, the vault holding `stored`
    /// (the uses left, and the start of the period they belong to) for it.
    pub(crate) fn stored(
        max_uses: u32,
        refill: Option<Refill>,
        stored: Option<(u32, i64)>,
    ) -> Uses {
        let (left, refills_at) = match stored {
            Some((left, period)) => (
                left.min(max_uses),
                refill.map(|refill| refill.next_start(crate::clock::from_seconds(period))),
            ),
            None => (max_uses, None),
        };
        Uses {
            max_uses,
            refill,
            left,
            refills_at,
        }
    }

    /// The uses left at `now`: all of them once a refill has come.
    pub fn left_at(&self, now: DateTime<Utc>) -> u32 {
        if self.refills_at.is_some_and(|at| at <= now) {
            self.max_uses
        } else {
            self.left
        }
    }

    /// The limit itself.
    pub fn limit(&self) -> UsageLimit {
        UsageLimit {
            max_uses: self.max_uses,
            refill: self.refill,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn allows(list: &[&str], client: &str) -> bool {
        IpAllowlist::parse(list)
            .unwrap()
            .allows(Some(client.parse().unwrap()))
    }

    #[test]
    fn ranges_include_their_edges_and_nothing_beyond() {
        let v4 = ["192.168.10.0/24"];
        assert!(allows(&v4, "192.168.10.0"));
        assert!(allows(&v4, "192.168.10.255"));
        assert!(!allows(&v4, "192.168.9.255"));
        assert!(!allows(&v4, "192.168.11.0"));
        let v6 = ["2001:db8:abcd::/48"];
        assert!(allows(&v6, "2001:db8:abcd::"));
        assert!(allows(&v6, "2001:db8:abcd:ffff:ffff:ffff:ffff:ffff"));
        assert!(!allows(&v6, "2001:db8:abce::"));
        assert!(!allows(&v6, "192.168.10.1"));
        // A single address is itself only; an IPv4 address may arrive mapped into IPv6.
        assert!(allows(&["203.0.113.7"], "203.0.113.7"));
        assert!(!allows(&["203.0.113.7"], "203.0.113.8"));
        assert!(allows(&["203.0.113.7"], "::ffff:203.0.113.7"));
        assert!(allows(&["0.0.0.0/0"], "8.8.8.8"));
        assert!(allows(&["::/0"], "::1"));
    }

    #[test]
    fn an_allowlist_refuses_an_unknown_address_and_an_empty_one_allows_any() {
        assert!(!IpAllowlist::parse(&["10.0.0.0/8"]).unwrap().allows(None));
        assert!(IpAllowlist::default().allows(None));
    }

    #[test]
    fn entries_are_checked_normalised_and_deduplicated() {
        let list = IpAllowlist::parse(&["10.1.2.3/8", " 10.0.0.0/8 ", "::1"]).unwrap();
        assert_eq!(list.to_strings(), ["10.0.0.0/8", "::1/128"]);
        for bad in ["10.0.0.0/33", "example.com", "10.0.0", "", "1.2.3.4/-1"] {
            assert!(
                matches!(IpAllowlist::parse(&[bad]), Err(Error::InvalidIpRange(_))),
                "{bad:?}"
            );
        }
        let many: Vec<String> = (0..=MAX_ALLOWED_IPS)
            .map(|i| format!("10.0.{i}.0/24"))
            .collect();
        assert!(IpAllowlist::parse(&many).is_err());
    }

    #[test]
    fn periods_start_at_midnight_and_on_the_first_of_the_month() {
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 18, 30, 0).unwrap();
        let day = Refill::Daily.period_start(at);
        assert_eq!(day, Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap());
        assert_eq!(
            Refill::Daily.next_start(day),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
        let month = Refill::Monthly.period_start(at);
        assert_eq!(month, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        assert_eq!(
            Refill::Monthly.next_start(month),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
    }

    #[test]
    fn limits_need_a_number_in_range() {
        assert!(UsageLimit::new(0, None).is_err());
        assert!(UsageLimit::new(UsageLimit::MAX_USES + 1, None).is_err());
        assert!(Restrictions::from_fields(None, Some(Refill::Daily), &[]).is_err());
        let limit = Restrictions::from_fields(Some(100), Some(Refill::Monthly), &[]).unwrap();
        assert_eq!(limit.usage.unwrap().max_uses(), 100);
    }
}
