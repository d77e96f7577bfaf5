//! The commands of Settings → Vault: change one's passphrase, re-key, back up, restore,
//! export without secrets, scan a folder for leaked tokens. The save and open dialogs are
//! shown from here (tauri-plugin-dialog), so the window never names a file to write.

use std::future::Future;
use std::path::{Path, PathBuf};

use keysmith_core::export::ExportFormat;
use keysmith_core::scan::ScanReport;
use keysmith_core::{BackupManifest, BackupSchedule, KdfParams, Keychain, OpenedBackup, Secret};
use keysmith_ops::{self as ops, BackupScheduleView};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_dialog::DialogExt;

use crate::error::AppResult;
use crate::state::AppState;

/// A backup written.
#[derive(Debug, Serialize, specta::Type)]
pub struct BackupWritten {
    /// Where it was written.
    pub path: String,
    /// What it says of itself.
    pub manifest: BackupManifest,
}

/// A restore done.
#[derive(Debug, Serialize, specta::Type)]
pub struct Restored {
    /// When the backup was written, and what it held.
    pub manifest: BackupManifest,
    /// Where the replaced vault is kept.
    pub kept: String,
}

/// The scheduled-backup setting and its last run. Settings reads it every few seconds, so it
/// does not count as activity (it would keep the vault from locking itself).
#[tauri::command]
#[specta::specta]
pub async fn backup_schedule(state: State<'_, AppState>) -> AppResult<BackupScheduleView> {
    state.call(ops::BackupScheduleOf {}).await
}

/// Sets the scheduled-backup setting (account holder and admins); the first backup is
/// written within seconds while the vault is unlocked.
#[tauri::command]
#[specta::specta]
pub async fn set_backup_schedule(
    state: State<'_, AppState>,
    schedule: BackupSchedule,
) -> AppResult<BackupScheduleView> {
    state.call(ops::SetBackupSchedule { schedule }).await
}

/// Asks for the folder scheduled backups go into; its path, or `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_backup_folder(app: AppHandle) -> AppResult<Option<String>> {
    Ok(pick_folder(app, "Folder for scheduled backups")
        .await
        .map(|path| path.display().to_string()))
}

/// Replaces the operator's own passphrase with `replacement`: `current` must be it.
#[tauri::command]
#[specta::specta]
pub async fn change_passphrase(
    state: State<'_, AppState>,
    current: Secret,
    replacement: Secret,
) -> AppResult<()> {
    state
        .with_vault(move |vault| {
            Ok(vault.change_passphrase(&current, &replacement, KdfParams::DEFAULT)?)
        })
        .await
}

/// Gives the vault a new data key (the account holder's alone), with the local API and
/// webhook delivery paused meanwhile.
#[tauri::command]
#[specta::specta]
pub async fn rekey_vault(state: State<'_, AppState>) -> AppResult<()> {
    state
        .with_vault_alone(|vault| Ok(vault.rekey(&Keychain)?))
        .await
}

/// Asks where to save a backup and writes it there, under `passphrase`; `None` when the
/// dialog was cancelled.
#[tauri::command]
#[specta::specta]
pub async fn back_up_vault(
    app: AppHandle,
    state: State<'_, AppState>,
    passphrase: Secret,
) -> AppResult<Option<BackupWritten>> {
    state
        .with_vault(move |vault| {
            let name = format!("keysmith-{}.ksbackup", vault.now().format("%Y-%m-%d"));
            let file = SaveAs {
                title: "Back up the vault",
                label: "Keysmith backup",
                extension: "ksbackup",
                name: &name,
            };
            let Some(path) = save_dialog(&app, &file) else {
                return Ok(None);
            };
            let manifest = vault.back_up(&path, &passphrase, KdfParams::DEFAULT)?;
            Ok(Some(BackupWritten {
                path: path.display().to_string(),
                manifest,
            }))
        })
        .await
}

/// Asks for a backup file to restore from; its path, or `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_backup(app: AppHandle) -> AppResult<Option<String>> {
    let picked = tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .set_title("Restore from a backup")
            .add_filter("Keysmith backup", &["ksbackup"])
            .blocking_pick_file()
            .and_then(|file| file.into_path().ok())
    })
    .await
    .unwrap_or_default();
    Ok(picked.map(|path| path.display().to_string()))
}

/// Replaces the vault with the backup at `path` (chosen with [`choose_backup`]), opened with
/// `passphrase` (the backup's or an operator's) and checked first. The account holder's
/// alone; the replaced vault is kept beside it.
#[tauri::command]
#[specta::specta]
pub async fn restore_vault(
    state: State<'_, AppState>,
    path: String,
    passphrase: Secret,
) -> AppResult<Restored> {
    let backup = state
        .run(move |state| {
            let file = Path::new(&path);
            Ok(OpenedBackup::open_to_restore(
                file,
                &passphrase,
                &state.vault_path,
            )?)
        })
        .await?;
    let manifest = backup.manifest().clone();
    state
        .with_vault_alone(move |vault| {
            let kept = vault.restore(&backup, &Keychain)?;
            Ok(Restored {
                manifest: manifest.clone(),
                kept: kept.display().to_string(),
            })
        })
        .await
}

/// Asks where to save an export of the inventory in `format` (without secrets, not
/// encrypted) and writes it there, private to this user; the path, or `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn export_inventory(
    app: AppHandle,
    state: State<'_, AppState>,
    format: ExportFormat,
) -> AppResult<Option<String>> {
    let kind = match format {
        ExportFormat::Json => JSON,
        ExportFormat::Csv(_) => CSV,
    };
    let text = state.call(ops::ExportInventory { format });
    save_export(app, "Export the inventory", "inventory", kind, text).await
}

/// Asks for a folder and scans it (with `git`, its repository's history too) for leaked
/// tokens; `None` when the dialog was cancelled.
#[tauri::command]
#[specta::specta]
pub async fn scan_folder(
    app: AppHandle,
    state: State<'_, AppState>,
    git: bool,
) -> AppResult<Option<ScanReport>> {
    let Some(folder) = pick_folder(app, "Scan a folder for leaked tokens").await else {
        return Ok(None);
    };
    state
        .with_vault(move |vault| {
            let report = vault.scan_for_tokens(&[folder], git)?;
            // The Health section lists what it found until the next scan.
            vault.record_scan(&report)?;
            Ok(Some(report))
        })
        .await
}

/// Shows a folder dialog, off the async runtime's threads; the chosen folder.
async fn pick_folder(app: AppHandle, title: &'static str) -> Option<PathBuf> {
    tauri::async_runtime::spawn_blocking(move || {
        app.dialog()
            .file()
            .set_title(title)
            .blocking_pick_folder()
            .and_then(|folder| folder.into_path().ok())
    })
    .await
    .unwrap_or_default()
}

/// A JSON file, as a save dialog's filter names it, and its extension.
pub(crate) const JSON: (&str, &str) = ("JSON", "json");
/// A CSV file, as a save dialog's filter names it, and its extension.
pub(crate) const CSV: (&str, &str) = ("CSV", "csv");

/// Saves an export where the user picks, suggesting `keysmith-{stem}-{today}.{extension}`;
/// `text` makes it once a place is chosen (a cancelled dialog makes nothing). The path, or
/// `None` when the dialog was cancelled.
pub(crate) async fn save_export(
    app: AppHandle,
    title: &'static str,
    stem: &'static str,
    (label, extension): (&'static str, &'static str),
    text: impl Future<Output = AppResult<String>>,
) -> AppResult<Option<String>> {
    let name = format!(
        "keysmith-{stem}-{}.{extension}",
        chrono::Utc::now().format("%Y-%m-%d")
    );
    let chosen = tauri::async_runtime::spawn_blocking(move || {
        let file = SaveAs {
            title,
            label,
            extension,
            name: &name,
        };
        save_dialog(&app, &file)
    })
    .await
    .unwrap_or_default();
    let Some(path) = chosen else {
        return Ok(None);
    };
    keysmith_core::export::write_private(&path, text.await?.as_bytes())?;
    Ok(Some(path.display().to_string()))
}

/// What a save dialog asks for: its title, the kind of file (its label and extension) and
/// the name it suggests.
pub(crate) struct SaveAs<'a> {
    /// The dialog's title.
    pub(crate) title: &'a str,
    /// The kind of file, as its filter names it.
    pub(crate) label: &'a str,
    /// Its extension, without the dot.
    pub(crate) extension: &'a str,
    /// The file name suggested.
    pub(crate) name: &'a str,
}

/// Asks where to save `file` and writes what `bytes` makes there, private to this user (an
/// export holds no secret, but it is nobody else's business); the path, or `None` when the
/// dialog was cancelled (and then `bytes` is not asked for).
pub(crate) fn save_private(
    app: &AppHandle,
    file: &SaveAs<'_>,
    bytes: impl FnOnce() -> AppResult<Vec<u8>>,
) -> AppResult<Option<String>> {
    let Some(path) = save_dialog(app, file) else {
        return Ok(None);
    };
    keysmith_core::export::write_private(&path, &bytes()?)?;
    Ok(Some(path.display().to_string()))
}

/// Shows a save dialog for `file`; the chosen path.
fn save_dialog(app: &AppHandle, file: &SaveAs<'_>) -> Option<PathBuf> {
    app.dialog()
        .file()
        .set_title(file.title)
        .add_filter(file.label, &[file.extension])
        .set_file_name(file.name)
        .blocking_save_file()
        .and_then(|file| file.into_path().ok())
}
