//! One-click copy with a timed clear: the text goes to the clipboard marked as a secret (so
//! clipboard managers keep it out of their history), and after the configured delay the
//! clipboard is cleared only if it still holds what we put there: a later copy by the user,
//! in Keysmith or elsewhere, is left alone.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use keysmith_core::Secret;
use sha2::{Digest, Sha256};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroizing;

use crate::error::{AppError, AppResult};

/// Remembers the last copy by its hash, never its text.
#[derive(Default)]
pub struct ClipboardGuard {
    last: Mutex<Option<CopyMark>>,
}

/// What marks one copy of ours: its place in the order of copies and its text's hash.
#[derive(Clone, Copy, PartialEq, Eq)]
struct CopyMark {
    generation: u64,
    digest: [u8; 32],
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl ClipboardGuard {
    /// Copies `text` and schedules the clear after `clear_after`.
    pub fn copy<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        text: Secret,
        clear_after: Duration,
    ) -> AppResult<()> {
        app.clipboard()
            .write_secret(text.expose())
            .map_err(|e| AppError::Clipboard(e.to_string()))?;
        let copy = {
            let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
            let generation = last.map_or(1, |c| c.generation + 1);
            let copy = CopyMark {
                generation,
                digest: digest(text.expose()),
            };
            *last = Some(copy);
            copy
        };
        drop(text);
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(clear_after).await;
            app.state::<ClipboardGuard>().clear_if_unchanged(&app, copy);
        });
        Ok(())
    }

    /// Clears the clipboard now if it still holds our last copy: on lock and on quit, a
    /// secret does not outlive the session that copied it.
    pub fn clear_ours<R: Runtime>(&self, app: &AppHandle<R>) {
        let last = *self.last.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(copy) = last {
            self.clear_if_unchanged(app, copy);
        }
    }

    fn clear_if_unchanged<R: Runtime>(&self, app: &AppHandle<R>, copy: CopyMark) {
        // A newer copy of ours has its own timer.
        if *self.last.lock().unwrap_or_else(PoisonError::into_inner) != Some(copy) {
            return;
        }
        let Ok(current) = app.clipboard().read_text().map(Zeroizing::new) else {
            return;
        };
        if digest(&current) == copy.digest {
            if let Err(error) = app.clipboard().clear() {
                tracing::warn!(%error, "could not clear the clipboard");
            } else {
                tracing::info!("cleared the copied secret from the clipboard");
            }
        }
    }
}
