//! Keysmith's desktop shell. It wires Tauri to `keysmith-core`: the commands in `commands`,
//! `people`, `audit`, `webhooks` and `renewals` map IPC calls to core calls, `state` holds the unlocked vault, `clipboard`
//! copies with a timed clear, `api_server` runs the local API, `painting` chooses how WebKit
//! paints on Linux. No credential rule lives here.
//!
//! The IPC contract is [`contract`]: the commands (named once, in `command_list.rs`), the
//! events and the core's limits, from which both the invoke handler and the UI's TypeScript
//! (`ui/src/lib/bindings.ts`, committed; a test fails when it is stale) are made.

mod api_docs;
mod api_server;
mod audit;
mod care;
mod clipboard;
mod commands;
#[cfg(target_os = "linux")]
mod desktop_events;
mod error;
mod instance;
mod locking;
mod models;
mod oauth;
#[cfg(target_os = "linux")]
mod painting;
mod people;
mod reminders;
mod renewals;
mod state;
mod team;
mod tray;
mod webhooks;

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{Manager, Wry};
use tauri_specta::collect_events;

use clipboard::ClipboardGuard;
use models::{OpenCredential, VaultLocked};
use state::AppState;

/// Makes [`collected_commands`] from the one command list.
macro_rules! commands {
    ($($module:ident::$command:ident),* $(,)?) => {
        /// Every command: the invoke handler and the generated TypeScript both come from here.
        fn collected_commands() -> tauri_specta::Commands<Wry> {
            tauri_specta::collect_commands![$($module::$command),*]
        }
    };
}

include!("command_list.rs");

/// The IPC contract: every command, every event, and the core's limits as `LIMITS`.
pub fn contract() -> tauri_specta::Builder<Wry> {
    tauri_specta::Builder::<Wry>::new()
        .commands(collected_commands())
        .events(collect_events![VaultLocked, OpenCredential])
        .constant("LIMITS", keysmith_core::LIMITS)
        .constant("EXPIRING_SOON_DAYS", keysmith_core::EXPIRING_SOON_DAYS)
        .constant("WEBHOOK_EVENTS", keysmith_core::EventType::ALL)
        .constant(
            "LIFETIME_CHOICES",
            keysmith_core::Settings::LIFETIME_CHOICES,
        )
        .constant(
            "AUDIT_ACTIONS",
            keysmith_core::audit::AuditAction::ALL
                .map(keysmith_core::audit::AuditAction::as_str)
                .to_vec(),
        )
        .error_handling(tauri_specta::ErrorHandlingMode::Throw)
        // One TypeScript type per Rust type: what the UI sends and receives has one shape.
        .disable_serde_phases()
}

/// The environment variable that points the app at another vault file.
const VAULT_ENV: &str = "KEYSMITH_VAULT";
/// The environment variable that sends the log to a file (appended) instead of stderr.
const LOG_ENV: &str = "KEYSMITH_LOG";

/// Starts the desktop app.
pub fn run() {
    init_logging();
    #[cfg(target_os = "linux")]
    painting::choose();
    let contract = contract();
    let context = tauri::generate_context!("../tauri.conf.json");
    let vault_override = vault_override();
    let app = tauri::Builder::default()
        // First: a second launch on the same vault ends here, before anything else starts.
        .plugin(instance::single(
            &context.config().identifier,
            vault_override.as_deref(),
        ))
        .plugin(instance::remembered_window())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .manage(ClipboardGuard::default())
        .invoke_handler(contract.invoke_handler())
        .setup(move |app| {
            contract.mount_events(app);
            let path = match vault_override {
                Some(path) => path,
                None => app.path().app_data_dir()?.join("keysmith.vault"),
            };
            tracing::info!(vault = %path.display(), "starting");
            tray::create(app.handle());
            let handle = app.handle().clone();
            let show_locked: state::ShowLocked = Arc::new(move |name, unlocked| {
                tray::show_unlocked(&handle, unlocked);
                let title = state::window_title(name, unlocked);
                if let Some(Err(error)) = handle
                    .get_webview_window("main")
                    .map(|w| w.set_title(&title))
                {
                    tracing::warn!(%error, "could not set the window title");
                }
            });
            app.manage(AppState::new(path, show_locked));
            locking::watch_idle_time(app.handle());
            reminders::watch(app.handle());
            #[cfg(target_os = "linux")]
            desktop_events::watch(app.handle());
            Ok(())
        })
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let app = window.app_handle();
                let keep = app
                    .try_state::<AppState>()
                    .is_some_and(|state| state.session_untouched().keeps_running_in_tray());
                if keep && tray::exists(app) {
                    api.prevent_close();
                    if let Err(error) = window.hide() {
                        tracing::warn!(%error, "could not hide the window");
                    }
                }
            }
        })
        .build(context);
    match app {
        Ok(app) => app.run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                app.state::<ClipboardGuard>().clear_ours(app);
            }
        }),
        Err(error) => {
            tracing::error!(%error, "Keysmith stopped with an error");
            std::process::exit(1);
        }
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

/// The vault `$KEYSMITH_VAULT` names, if set; otherwise the app opens `keysmith.vault` in the
/// OS app-data folder.
fn vault_override() -> Option<PathBuf> {
    std::env::var_os(VAULT_ENV)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use specta_typescript::Typescript;

    use super::*;

    /// The generated TypeScript the UI imports, committed beside the code that uses it.
    const BINDINGS: &str = "../ui/src/lib/bindings.ts";

    fn manifest_path(relative: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
    }

    /// The bindings as the Rust types make them now.
    fn generated_bindings() -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bindings.ts");
        contract()
            .dangerously_cast_bigints_to_number()
            .export(
                Typescript::default().header(
                    "// Generated from the Rust types by tauri-specta (src-tauri/src/lib.rs); do not edit.\n\
                     // A test fails when this file is stale: KEYSMITH_WRITE_BINDINGS=1 cargo test -p keysmith-app rewrites it.",
                ),
                &path,
            )
            .unwrap();
        std::fs::read_to_string(path).unwrap()
    }

    /// A Rust change that changes what crosses IPC fails here until the bindings are rewritten
    /// (and then the UI's type check sees the change).
    #[test]
    fn the_ui_bindings_are_current() {
        let generated = generated_bindings();
        let path = manifest_path(BINDINGS);
        if std::env::var_os("KEYSMITH_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{BINDINGS} is stale; run KEYSMITH_WRITE_BINDINGS=1 cargo test -p keysmith-app \
             the_ui_bindings_are_current and commit it"
        );
    }

    /// The window may call exactly the commands of the list, and hear events; nothing else.
    #[test]
    fn the_capability_allows_exactly_the_commands() {
        let capability: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(manifest_path("capabilities/default.json")).unwrap(),
        )
        .unwrap();
        let allowed: BTreeSet<String> = capability["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|permission| permission.as_str().unwrap().to_owned())
            .collect();
        let mut expected: BTreeSet<String> = (collected_commands().1)(&mut Default::default())
            .functions
            .iter()
            .map(|command| format!("allow-{}", command.name().replace('_', "-")))
            .collect();
        expected.extend(["core:event:allow-listen", "core:event:allow-unlisten"].map(String::from));
        assert_eq!(allowed, expected);
    }
}
