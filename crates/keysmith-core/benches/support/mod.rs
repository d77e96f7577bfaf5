//! What the benchmarks share: a fresh vault and a credential to issue in it.

#![allow(dead_code)] // each bench uses its own part of this module

use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use keysmith_core::{
    clock, AccountHolder, Description, EmailAddress, Expiry, KdfParams, Name, NewCredential,
    Permission, RateLimit, Rights, Secret, TokenKind, UserId, Vault,
};

/// A new vault in `dir`, unlocked by its account holder.
pub fn vault(dir: &Path) -> Vault {
    Vault::create(
        &dir.join("bench.vault"),
        &Secret::from("benchmark passphrase"),
        &AccountHolder {
            name: Name::new("Bench Holder").unwrap(),
            email: EmailAddress::try_from("bench@example.com".to_owned()).unwrap(),
        },
        KdfParams::MINIMUM,
        clock::system(),
    )
    .unwrap()
}

/// A personal access token of the account holder (the vault's first user) for the seeded
/// application, scoped to `payables:read`, expiring `days` after `now`.
pub fn token(now: DateTime<Utc>, name: &str, description: &str, days: i64) -> NewCredential {
    NewCredential {
        kind: TokenKind::PersonalAccessToken,
        owner: Some(UserId(1)),
        name: Name::new(name).unwrap(),
        description: Description::new(description).unwrap(),
        expiry: Expiry::new(now + Duration::days(days), now).unwrap(),
        scopes: vec![Permission::new("payables:read").unwrap()],
        rights: Rights::ReadWrite,
        applications: vec![Name::new("Internal tools").unwrap()],
        rate_limit: RateLimit::default(),
        restrictions: Default::default(),
        disabled: false,
    }
}
