//! Locking the vault while the admin is not looking: after the idle time, and (see
//! `desktop_events`) when the screen locks or the computer sleeps, as the vault's settings
//! say. Each lock also clears a secret Keysmith copied from the clipboard, and tells the window.

use std::time::{Duration, Instant};

use tauri::{AppHandle, Manager};
use tauri_specta::Event;

use crate::clipboard::ClipboardGuard;
use crate::models::{LockReason, VaultLocked};
use crate::state::{AppState, Session};

/// How often the auto-lock watcher looks at the idle time.
const AUTO_LOCK_TICK: Duration = Duration::from_secs(5);

/// Locks the vault once it has been idle for the configured minutes.
pub fn watch_idle_time(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(AUTO_LOCK_TICK).await;
            lock_if(
                &app,
                |session| session.idle_expired(Instant::now()),
                LockReason::IdleTime,
            )
            .await;
        }
    });
}

/// Locks the vault if `due` says so of the session, then clears our copy from the clipboard
/// and tells the window why; whether it locked.
pub async fn lock_if(
    app: &AppHandle,
    due: impl FnOnce(&Session) -> bool + Send + 'static,
    reason: LockReason,
) -> bool {
    let state = app.state::<AppState>().inner().clone();
    let locked = state
        .run(|state| {
            let due = due(&state.session_untouched());
            if due {
                state.lock();
            }
            Ok(due)
        })
        .await;
    if !matches!(locked, Ok(true)) {
        return false;
    }
    tracing::info!(?reason, "vault locked");
    app.state::<ClipboardGuard>().clear_ours(app);
    if let Err(error) = (VaultLocked { reason }).emit(app) {
        tracing::warn!(%error, "could not tell the window about the lock");
    }
    true
}
