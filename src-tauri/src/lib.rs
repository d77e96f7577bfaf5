//! Keysmith's desktop shell. It wires Tauri to `keysmith-core`: the commands in [`commands`]
//! map IPC calls to core calls, [`state`] holds the unlocked vault, [`clipboard`] copies with a
//! timed clear, [`api_server`] runs the local API. No credential rule lives here.

mod api_server;
mod clipboard;
mod commands;
mod error;
mod models;
mod people;
mod state;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tauri::{App, Emitter, Manager};

use clipboard::ClipboardGuard;
use state::AppState;

/// The environment variable that points the app at another vault file.
const VAULT_ENV: &str = "KEYSMITH_VAULT";
/// The environment variable that sends the log to a file (appended) instead of stderr.
const LOG_ENV: &str = "KEYSMITH_LOG";
/// How often the auto-lock watcher looks at the idle time.
const AUTO_LOCK_TICK: Duration = Duration::from_secs(5);

/// Starts the desktop app.
pub fn run() {
    init_logging();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_clipboard_manager::init())
        .manage(ClipboardGuard::default())
        .setup(|app| {
            let path = vault_path(app)?;
            tracing::info!(vault = %path.display(), "starting");
            app.manage(AppState::new(path));
            watch_idle_time(app);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::vault_status,
            commands::create_vault,
            commands::unlock_vault,
            commands::unlock_with_keychain,
            commands::lock_vault,
            commands::list_credentials,
            commands::credential_detail,
            commands::issue_credential,
            commands::revoke_credential,
            commands::set_credential_enabled,
            commands::edit_credential,
            commands::renew_credential,
            commands::delete_credential,
            commands::get_settings,
            commands::update_settings,
            commands::api_status,
            commands::copy_secret,
            commands::touch,
            people::people_overview,
            people::save_user,
            people::delete_user,
            people::save_group,
            people::delete_group,
            people::add_catalogue_entry,
            people::remove_catalogue_entry,
            people::add_operator,
            people::remove_operator,
            people::revoke_all_of_user,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"));
    if let Err(error) = app {
        tracing::error!(%error, "Keysmith stopped with an error");
        std::process::exit(1);
    }
}

/// Logs at `info` (or `$RUST_LOG`) to stderr, or to the file `$KEYSMITH_LOG`. Nothing logged
/// anywhere in Keysmith carries a secret.
fn init_logging() {
    let logger = tracing_subscriber::fmt().with_env_filter(
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
    );
    let file = std::env::var_os(LOG_ENV).map(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    });
    match file {
        Some(Ok(file)) => logger
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .init(),
        Some(Err(error)) => {
            logger.init();
            tracing::warn!(%error, "cannot open the log file; logging to stderr");
        }
        None => logger.init(),
    }
}

/// `$KEYSMITH_VAULT`, or `keysmith.vault` in the OS app-data folder.
fn vault_path(app: &App) -> tauri::Result<PathBuf> {
    match std::env::var_os(VAULT_ENV) {
        Some(path) if !path.is_empty() => Ok(PathBuf::from(path)),
        _ => Ok(app.path().app_data_dir()?.join("keysmith.vault")),
    }
}

/// Locks the vault once it has been idle for the configured minutes, and tells the UI.
fn watch_idle_time(app: &App) {
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(AUTO_LOCK_TICK).await;
            let state = handle.state::<AppState>();
            let idle = state.session_untouched().idle_expired(Instant::now());
            if idle {
                state.lock();
                tracing::info!("vault auto-locked after idle time");
                if let Err(error) = handle.emit("vault-locked", ()) {
                    tracing::warn!(%error, "could not tell the window about the auto-lock");
                }
            }
        }
    });
}
