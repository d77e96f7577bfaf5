//! Scheduled backups: daily or weekly, into a folder, the newest `keep` kept. Run by whoever
//! holds the vault's delivery lease (the app while it is unlocked, or `keysmith serve`), so two
//! processes on one vault never both write one. A scheduled backup has no passphrase of its
//! own: it opens with the operators' passphrases of its day, like the vault. Each run's outcome
//! is kept for Settings to show.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Vault;
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::meta;

const SCHEDULE_KEY: &str = "backup_schedule";
const LAST_RUN_KEY: &str = "backup_schedule_last_run";
/// What every scheduled backup's file name starts and ends with; pruning touches no other file.
const NAME_PREFIX: &str = "keysmith-scheduled-";
const NAME_SUFFIX: &str = ".ksbackup";

/// How often scheduled backups are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum BackupEvery {
    /// Never.
    #[default]
    Off,
    /// Once a day.
    Daily,
    /// Once a week.
    Weekly,
}

/// The scheduled-backup setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct BackupSchedule {
    /// How often.
    pub every: BackupEvery,
    /// The folder they go into (absolute; it must exist).
    pub folder: String,
    /// How many of them are kept (1–365); older ones are removed.
    pub keep: u32,
}

impl Default for BackupSchedule {
    fn default() -> Self {
        BackupSchedule {
            every: BackupEvery::Off,
            folder: String::new(),
            keep: 7,
        }
    }
}

/// The last scheduled run: when, and the file written or why none was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct ScheduledRun {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// The backup written.
    pub file: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

impl BackupSchedule {
    fn period(&self) -> Option<Duration> {
        match self.every {
            BackupEvery::Off => None,
            BackupEvery::Daily => Some(Duration::days(1)),
            BackupEvery::Weekly => Some(Duration::weeks(1)),
        }
    }

    /// Checks the folder and the count.
    fn validate(&self) -> Result<()> {
        if !(1..=365).contains(&self.keep) {
            return Err(Error::InvalidSetting {
                name: "Backups to keep",
                min: 1,
                max: 365,
            });
        }
        if self.every == BackupEvery::Off {
            return Ok(());
        }
        let folder = Path::new(&self.folder);
        if !folder.is_absolute() || !folder.is_dir() {
            return Err(Error::InvalidBackupFolder(self.folder.clone()));
        }
        Ok(())
    }
}

impl Vault {
    /// The scheduled-backup setting (off until set).
    pub fn backup_schedule(&self) -> Result<BackupSchedule> {
        Ok(meta::get_json(self.conn(), SCHEDULE_KEY)?.unwrap_or_default())
    }

    /// The last scheduled run, if there was one.
    pub fn last_scheduled_backup(&self) -> Result<Option<ScheduledRun>> {
        meta::get_json(self.conn(), LAST_RUN_KEY)
    }

    /// Sets the scheduled-backup setting after checking it. Account holder and admins.
    pub fn set_backup_schedule(&mut self, schedule: &BackupSchedule) -> Result<()> {
        self.operator.require_admin("schedule backups")?;
        schedule.validate()?;
        self.audited(|change| {
            meta::put_json(change, SCHEDULE_KEY, schedule)?;
            change.record(
                AuditAction::SettingsChanged,
                None,
                json!({ "backup_schedule": schedule }),
            )
        })
    }

    /// Writes the scheduled backup if one is due (the first at once, then one a period after
    /// the last run), removes the oldest beyond the number kept, and records the run; the
    /// file written. A failed run is recorded and tried again a period later.
    pub fn run_scheduled_backup(&mut self) -> Result<Option<PathBuf>> {
        let schedule = self.backup_schedule()?;
        let Some(period) = schedule.period() else {
            return Ok(None);
        };
        // Claimed in one transaction, so of two handles only one writes this period's backup.
        let claimed = self.bookkeeping(|conn, now| {
            let last: Option<ScheduledRun> = meta::get_json(conn, LAST_RUN_KEY)?;
            if last.is_some_and(|run| now - run.at < period) {
                return Ok(None);
            }
            let claim = ScheduledRun {
                at: now,
                file: None,
                error: Some("under way".into()),
            };
            meta::put_json(conn, LAST_RUN_KEY, &claim)?;
            Ok(Some(now))
        })?;
        let Some(now) = claimed else {
            return Ok(None);
        };
        let folder = PathBuf::from(&schedule.folder);
        let stem = self
            .path
            .file_stem()
            .map_or_else(|| "vault".into(), |s| s.to_string_lossy().into_owned());
        let target = folder.join(format!(
            "{NAME_PREFIX}{stem}-{}{NAME_SUFFIX}",
            now.format("%Y%m%dT%H%M%SZ")
        ));
        let written = self
            .write_backup(&target, None, |vault, part, scratch| {
                vault.check_own_backup(part, scratch)
            })
            .and_then(|_| prune(&folder, &stem, schedule.keep));
        let run = ScheduledRun {
            at: now,
            file: written.is_ok().then(|| target.display().to_string()),
            error: written.as_ref().err().map(|error| error.to_string()),
        };
        self.bookkeeping(|conn, _| meta::put_json(conn, LAST_RUN_KEY, &run))?;
        match written {
            Ok(()) => {
                tracing::info!(file = %target.display(), "scheduled backup written");
                Ok(Some(target))
            }
            Err(error) => {
                tracing::warn!(%error, "the scheduled backup failed; it is tried again next period");
                Err(error)
            }
        }
    }
}

/// Removes the oldest scheduled backups of `stem` in `folder` beyond `keep` (by the time in
/// their names); other files are never touched.
fn prune(folder: &Path, stem: &str, keep: u32) -> Result<()> {
    let prefix = format!("{NAME_PREFIX}{stem}-");
    let mut ours: Vec<String> = fs::read_dir(folder)?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix) && name.ends_with(NAME_SUFFIX))
        .collect();
    ours.sort();
    let excess = ours.len().saturating_sub(keep as usize);
    for name in &ours[..excess] {
        fs::remove_file(folder.join(name))?;
    }
    Ok(())
}
