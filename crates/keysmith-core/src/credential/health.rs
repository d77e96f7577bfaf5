//! The Health section's checks: credentials that deserve a look — never used, unused for a
//! while, expiring soon, old, held by someone without API access, found by the last leak scan,
//! or whose auto-renewal fails. Each is a filter of the inventory's query
//! ([`CredentialQuery::health`](super::CredentialQuery::health)), so the section lists, pages
//! and sorts them as the inventory does; [`Vault::health_counts`] counts each.

use serde::{Deserialize, Serialize};

use super::CredentialQuery;
use crate::error::Result;
use crate::vault::Vault;

/// Days without a use after which a used credential counts as unused.
pub const UNUSED_DAYS: u32 = 90;
/// Days before its expiry from which a credential counts as expiring.
pub const EXPIRING_DAYS: u32 = 30;
/// Days after its issue from which a credential counts as old (six months).
pub const OLD_DAYS: u32 = 182;

/// A check of the Health section. Each selects live credentials (neither revoked nor
/// expired; found by a leak scan or failing renewal: not revoked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum HealthCheck {
    /// Never verified successfully.
    NeverUsed,
    /// Last used more than [`UNUSED_DAYS`] days ago.
    Unused,
    /// Expires within [`EXPIRING_DAYS`] days and was not renewed.
    Expiring,
    /// Issued more than [`OLD_DAYS`] days ago.
    Old,
    /// Its owner has no API access (switched off, or blocked by a group).
    OwnerWithoutAccess,
    /// Found by the last leak scan the window (or a writing `keysmith scan`) ran.
    Leaked,
    /// Its auto-renewal failed and waits to be tried again.
    RenewalFailing,
}

impl HealthCheck {
    /// Every check, in the order the section lists them.
    pub const ALL: [HealthCheck; 7] = [
        HealthCheck::Leaked,
        HealthCheck::OwnerWithoutAccess,
        HealthCheck::RenewalFailing,
        HealthCheck::Expiring,
        HealthCheck::NeverUsed,
        HealthCheck::Unused,
        HealthCheck::Old,
    ];
}

/// How many credentials one check finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct HealthCount {
    /// The check.
    pub check: HealthCheck,
    /// How many credentials it finds now.
    pub count: u32,
}

impl Vault {
    /// How many credentials each check finds now, in [`HealthCheck::ALL`]'s order.
    pub fn health_counts(&self) -> Result<Vec<HealthCount>> {
        HealthCheck::ALL
            .into_iter()
            .map(|check| {
                let page = self.credential_page(&CredentialQuery {
                    health: Some(check),
                    limit: Some(0),
                    ..CredentialQuery::default()
                })?;
                Ok(HealthCount {
                    check,
                    count: page.total,
                })
            })
            .collect()
    }
}
