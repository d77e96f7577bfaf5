//! The commands of the Renewals section: the renewed credentials whose secrets wait to be
//! handed over, handing one over (revealed once, then wiped from the vault), "Renew now",
//! the renewal signing secret callbacks are signed with, and renewal mail: the SMTP settings
//! and the messages. Each is its admin operation in `keysmith_ops`, except copying a message,
//! which needs this desktop's clipboard. Who may do each is the core's rule.

use keysmith_core::mail::{MailMessage, SmtpSettings, SmtpSpec};
use keysmith_core::{CredentialId, Handover};
use keysmith_ops::{self as ops, HandedOver};
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The renewed credentials whose secrets wait to be handed over, oldest first. The window
/// reads it again now and then (for the section's badge): not activity.
#[tauri::command]
#[specta::specta]
pub async fn pending_handovers(state: State<'_, AppState>) -> AppResult<Vec<Handover>> {
    state.call(ops::PendingHandovers {}).await
}

/// Hands a renewed credential's secret over: this once; the vault keeps it no longer.
#[tauri::command]
#[specta::specta]
pub async fn hand_over(state: State<'_, AppState>, id: CredentialId) -> AppResult<HandedOver> {
    state.call(ops::HandOver { id }).await
}

/// The secret renewal callbacks are signed with, for the Settings section to show (account
/// holder and admins).
#[tauri::command]
#[specta::specta]
pub async fn renewal_signing_secret(state: State<'_, AppState>) -> AppResult<HandedOver> {
    state.call(ops::RenewalSigningSecret {}).await
}

/// Runs a credential's auto-renewal now; the successor's id (its secret waits in Renewals).
#[tauri::command]
#[specta::specta]
pub async fn renew_now(state: State<'_, AppState>, id: CredentialId) -> AppResult<CredentialId> {
    state.call(ops::RenewNow { id }).await
}

/// The SMTP settings for renewal mail, if set up (the password never comes back).
#[tauri::command]
#[specta::specta]
pub async fn smtp_settings(state: State<'_, AppState>) -> AppResult<Option<SmtpSettings>> {
    state.call(ops::SmtpSettingsOf {}).await
}

/// Sets up renewal mail, or (`None`) stops sending it.
#[tauri::command]
#[specta::specta]
pub async fn set_smtp(state: State<'_, AppState>, spec: Option<SmtpSpec>) -> AppResult<()> {
    state.call(ops::SetSmtp { spec }).await
}

/// Copies a renewal message (recipient, subject, body) to the clipboard, to send it by hand.
/// It holds no secret, so no timed clear.
#[tauri::command]
#[specta::specta]
pub async fn copy_mail_message(
    app: AppHandle,
    state: State<'_, AppState>,
    id: i64,
) -> AppResult<()> {
    let messages = state.call(ops::MailMessages {}).await?;
    let message = messages
        .iter()
        .find(|message| message.id == id)
        .ok_or(keysmith_core::Error::MessageNotFound(id))?;
    app.clipboard()
        .write_text(message.as_text())
        .map_err(|e| AppError::Clipboard(e.to_string()))
}

/// The renewal messages, newest first: sent, or waiting to be copied by hand.
#[tauri::command]
#[specta::specta]
pub async fn mail_messages(state: State<'_, AppState>) -> AppResult<Vec<MailMessage>> {
    state.call(ops::MailMessages {}).await
}
