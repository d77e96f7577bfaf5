//! The fixture the scenario tests share: a vault in a temp dir on a manual clock.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use keysmith_core::{
    AccountHolder, Clock, Description, EmailAddress, Error, Expiry, KdfParams, ManualClock, Name,
    NewCredential, Permission, RateLimit, Rights, Secret, TokenKind, UserId, Vault,
};

pub const PASSPHRASE: &str = "correct horse battery";
/// The account holder is the first user of every vault.
pub const HOLDER: UserId = UserId(1);
/// The application every new vault's catalogue starts with.
pub const APPLICATION: &str = "Internal tools";

pub fn holder() -> AccountHolder {
    AccountHolder {
        name: Name::new("Ada Holder").unwrap(),
        email: EmailAddress::try_from("ada@example.com".to_owned()).unwrap(),
    }
}

pub struct Fixture {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    pub clock: ManualClock,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("team.vault");
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap());
        Fixture {
            _dir: dir,
            path,
            clock,
        }
    }

    pub fn create(&self) -> Vault {
        Vault::create(
            &self.path,
            &Secret::from(PASSPHRASE),
            &holder(),
            KdfParams::MINIMUM,
            Arc::new(self.clock.clone()),
        )
        .unwrap()
    }

    pub fn unlock(&self, passphrase: &str) -> Result<Vault, Error> {
        Vault::unlock(
            &self.path,
            &Secret::from(passphrase),
            Arc::new(self.clock.clone()),
        )
    }

    /// Unlocks the vault for reading only.
    pub fn unlock_read_only(&self) -> Result<Vault, Error> {
        Vault::unlock_read_only(
            &self.path,
            &Secret::from(PASSPHRASE),
            Arc::new(self.clock.clone()),
        )
    }

    /// [`pat`] as of the fixture's clock.
    pub fn new_credential(&self, name: &str, days: i64) -> NewCredential {
        pat(self.clock_now(), name, days)
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Every file of the vault (database, WAL, shared memory, header), concatenated.
    pub fn all_bytes(&self) -> Vec<u8> {
        let dir = self.path.parent().unwrap();
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        names
            .iter()
            .flat_map(|p| std::fs::read(p).unwrap())
            .collect()
    }
}

/// Everything a refused operation must leave as it was: the credentials and the audit log.
/// The actions of `id`'s audit history, oldest first.
pub fn history_of(vault: &Vault, id: keysmith_core::CredentialId) -> Vec<String> {
    vault
        .audit_log(Some(id))
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect()
}

pub fn snapshot(vault: &Vault) -> (Vec<keysmith_core::Credential>, usize) {
    (
        vault.list_credentials().unwrap(),
        vault.audit_log(None).unwrap().len(),
    )
}

/// A personal access token of the account holder, scoped to `payables:read`, for the seeded
/// application, expiring `days` after `now`.
pub fn pat(now: DateTime<Utc>, name: &str, days: i64) -> NewCredential {
    NewCredential {
        kind: TokenKind::PersonalAccessToken,
        owner: Some(HOLDER),
        name: Name::new(name).unwrap(),
        description: Description::new("for the nightly export").unwrap(),
        expiry: Expiry::new(now + Duration::days(days), now).unwrap(),
        scopes: vec![Permission::new("payables:read").unwrap()],
        rights: Rights::ReadWrite,
        applications: vec![Name::new(APPLICATION).unwrap()],
        rate_limit: RateLimit::default(),
        restrictions: Default::default(),
        disabled: false,
    }
}
