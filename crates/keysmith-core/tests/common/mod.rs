//! The fixture the scenario tests share: a vault in a temp dir on a manual clock.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use keysmith_core::{
    Clock, CredentialName, Description, Error, Expiry, KdfParams, ManualClock, NewCredential,
    Secret, Vault,
};

pub const PASSPHRASE: &str = "correct horse battery";

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

    pub fn new_credential(&self, name: &str, days: i64) -> NewCredential {
        NewCredential {
            name: CredentialName::new(name).unwrap(),
            description: Description::new("for the nightly export").unwrap(),
            expiry: Expiry::new(self.clock_now() + Duration::days(days), self.clock_now()).unwrap(),
        }
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
pub fn snapshot(vault: &Vault) -> (Vec<keysmith_core::Credential>, usize) {
    (
        vault.list_credentials().unwrap(),
        vault.audit_log(None).unwrap().len(),
    )
}
