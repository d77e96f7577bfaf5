//! The vault's settings as operations: the settings themselves, the trusted proxies, private
//! callbacks, scheduled backups, and the inventory's export (its text; where it is saved is
//! the door's business).

use keysmith_core::export::ExportFormat;
use keysmith_core::{
    BackupSchedule, Error, PrivateCallbacks, Result, ScheduledRun, Settings, Vault,
};
use serde::{Deserialize, Serialize};

crate::operations! {
    /// The vault's settings.
    Read get_settings as GetSettings {} -> Settings = |vault, _op| vault.settings();

    /// Saves the vault's settings (account holder and admins); answers them as saved.
    Change update_settings as UpdateSettings {
        /// The settings.
        settings: Settings,
    } -> Settings = |vault, op| {
        vault.update_settings(op.settings)?;
        vault.settings()
    };

    /// The reverse proxies whose `X-Forwarded-For` the API believes (forward auth).
    Read trusted_proxies as TrustedProxies {} -> Vec<String> =
        |vault, _op| Ok(vault.trusted_proxies()?.to_strings());

    /// Sets the trusted proxies (addresses or CIDR ranges; none: trust no forwarded address).
    Change set_trusted_proxies as SetTrustedProxies {
        /// The addresses and ranges.
        proxies: Vec<String>,
    } -> Vec<String> = |vault, op| Ok(vault.set_trusted_proxies(&op.proxies)?.to_strings());

    /// Whether renewal callbacks may go to private addresses, and whether the operator may
    /// change that.
    Read private_callbacks as PrivateCallbacksOf {} -> PrivateCallbacks =
        |vault, _op| vault.private_callbacks();

    /// Allows or refuses renewal callbacks to private addresses (the account holder's alone).
    Change set_private_callbacks as SetPrivateCallbacks {
        /// Whether they are allowed.
        allowed: bool,
    } -> PrivateCallbacks = |vault, op| {
        vault.set_private_callbacks(op.allowed)?;
        vault.private_callbacks()
    };

    /// The scheduled-backup setting and its last run.
    Watch backup_schedule as BackupScheduleOf {} -> BackupScheduleView =
        |vault, _op| BackupScheduleView::of(vault);

    /// Sets the scheduled-backup setting (account holder and admins).
    Change set_backup_schedule as SetBackupSchedule {
        /// The setting.
        schedule: BackupSchedule,
    } -> BackupScheduleView = |vault, op| {
        vault.set_backup_schedule(&op.schedule)?;
        BackupScheduleView::of(vault)
    };

    /// The inventory without secrets, as JSON or CSV text (account holder and admins); the
    /// export is audited.
    Change export_inventory as ExportInventory {
        /// JSON, or CSV with its options.
        format: ExportFormat,
    } -> String = |vault, op| text(vault.export_inventory(op.format)?);
}

/// The scheduled-backup setting and how its last run went.
#[derive(Debug, Serialize, specta::Type, Deserialize)]
pub struct BackupScheduleView {
    /// The setting.
    pub schedule: BackupSchedule,
    /// The last run, if there was one.
    pub last_run: Option<ScheduledRun>,
}

impl BackupScheduleView {
    fn of(vault: &Vault) -> Result<Self> {
        Ok(BackupScheduleView {
            schedule: vault.backup_schedule()?,
            last_run: vault.last_scheduled_backup()?,
        })
    }
}

/// An export's bytes as the text they are (JSON and CSV exports are UTF-8).
pub(crate) fn text(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|error| Error::Io(std::io::Error::other(error)))
}
