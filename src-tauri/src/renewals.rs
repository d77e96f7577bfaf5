//! The commands of the Renewals section: the renewed credentials whose secrets wait to be
//! handed over, handing one over (revealed once, then wiped from the vault), and "Renew now"
//! (the automatic flow, at once), the renewal signing secret callbacks are signed with, and
//! renewal mail: the SMTP settings and the messages. Who may do each is the core's rule: whoever manages the
//! credential.

use keysmith_core::mail::{MailMessage, SmtpSettings, SmtpSpec};
use keysmith_core::{CredentialId, Handover, Secret};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A secret shown to the user: a renewed credential's token, handed over this once, or the
/// renewal signing secret.
#[derive(Debug, Serialize, specta::Type)]
pub struct HandedOver {
    /// The secret.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[specta(type = String)]
    pub token: Secret,
}

/// The renewed credentials whose secrets wait to be handed over, oldest first. The window
/// reads it again now and then (for the section's badge): not activity.
#[tauri::command]
#[specta::specta]
pub async fn pending_handovers(state: State<'_, AppState>) -> AppResult<Vec<Handover>> {
    state
        .with_vault_unattended(|vault| Ok(vault.pending_handovers()?))
        .await
}

/// Hands a renewed credential's secret over: this once; the vault keeps it no longer.
#[tauri::command]
#[specta::specta]
pub async fn hand_over(state: State<'_, AppState>, id: CredentialId) -> AppResult<HandedOver> {
    state
        .with_vault(move |vault| {
            Ok(HandedOver {
                token: vault.hand_over(id)?,
            })
        })
        .await
}

/// The secret renewal callbacks are signed with, for the Settings section to show (account
/// holder and admins).
#[tauri::command]
#[specta::specta]
pub async fn renewal_signing_secret(state: State<'_, AppState>) -> AppResult<HandedOver> {
    state
        .with_vault(|vault| {
            Ok(HandedOver {
                token: vault.renewal_signing_secret()?,
            })
        })
        .await
}

/// Runs a credential's auto-renewal now; the successor's id (its secret waits in Renewals).
#[tauri::command]
#[specta::specta]
pub async fn renew_now(state: State<'_, AppState>, id: CredentialId) -> AppResult<CredentialId> {
    state
        .with_vault(move |vault| Ok(vault.renew_now(id)?))
        .await
}

/// How many messages the Messages list shows.
const MESSAGES_SHOWN: usize = 100;

/// The SMTP settings for renewal mail, if set up (the password never comes back).
#[tauri::command]
#[specta::specta]
pub async fn smtp_settings(state: State<'_, AppState>) -> AppResult<Option<SmtpSettings>> {
    state.with_vault(|vault| Ok(vault.smtp_settings()?)).await
}

/// Sets up renewal mail, or (`None`) stops sending it.
#[tauri::command]
#[specta::specta]
pub async fn set_smtp(state: State<'_, AppState>, spec: Option<SmtpSpec>) -> AppResult<()> {
    state
        .with_vault(move |vault| Ok(vault.set_smtp(spec.as_ref())?))
        .await
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
    state
        .with_vault(move |vault| {
            let messages = vault.mail_messages(MESSAGES_SHOWN)?;
            let message = messages
                .iter()
                .find(|message| message.id == id)
                .ok_or(keysmith_core::Error::MessageNotFound(id))?;
            app.clipboard()
                .write_text(message.as_text())
                .map_err(|e| AppError::Clipboard(e.to_string()))
        })
        .await
}

/// The renewal messages, newest first: sent, or waiting to be copied by hand.
#[tauri::command]
#[specta::specta]
pub async fn mail_messages(state: State<'_, AppState>) -> AppResult<Vec<MailMessage>> {
    state
        .with_vault(|vault| Ok(vault.mail_messages(MESSAGES_SHOWN)?))
        .await
}
