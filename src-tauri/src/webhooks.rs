//! The commands of the Webhooks section (the account holder's; anyone else gets `forbidden`
//! from the core): webhooks with their write-only values, the signing secret shown once,
//! the delivery log, "send test" and "resend". Delivery itself runs beside the session
//! (see `state`), not in these commands.

use keysmith_core::webhook::DeliveryRecord;
use keysmith_core::{DeliveryId, NewWebhook, Secret, Webhook, WebhookId, WebhookSpec};
use serde::Serialize;
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// How many rows of a delivery log the section shows.
const LOG_ROWS: usize = 200;

/// A webhook's new signing secret, shown once.
#[derive(Debug, Serialize, specta::Type)]
pub struct RolledSecret {
    /// `whsec_…`.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed")]
    #[specta(type = String)]
    pub secret: Secret,
}

/// Every webhook, oldest first. The window reads it again every few seconds (for the banner
/// of a webhook delivery stopped): not activity.
#[tauri::command]
#[specta::specta]
pub async fn list_webhooks(state: State<'_, AppState>) -> AppResult<Vec<Webhook>> {
    state
        .with_vault_unattended(|vault| Ok(vault.webhooks()?))
        .await
}

/// Adds a webhook; its signing secret comes back this once.
#[tauri::command]
#[specta::specta]
pub async fn add_webhook(state: State<'_, AppState>, spec: WebhookSpec) -> AppResult<NewWebhook> {
    state
        .with_vault(move |vault| Ok(vault.add_webhook(&spec)?))
        .await
}

/// Replaces a webhook's settings; `keep` values stay as stored.
#[tauri::command]
#[specta::specta]
pub async fn update_webhook(
    state: State<'_, AppState>,
    id: WebhookId,
    spec: WebhookSpec,
) -> AppResult<Webhook> {
    state
        .with_vault(move |vault| Ok(vault.update_webhook(id, &spec)?))
        .await
}

/// Enables or disables a webhook.
#[tauri::command]
#[specta::specta]
pub async fn set_webhook_enabled(
    state: State<'_, AppState>,
    id: WebhookId,
    enabled: bool,
) -> AppResult<Webhook> {
    state
        .with_vault(move |vault| Ok(vault.set_webhook_enabled(id, enabled)?))
        .await
}

/// Removes a webhook and its delivery log.
#[tauri::command]
#[specta::specta]
pub async fn delete_webhook(state: State<'_, AppState>, id: WebhookId) -> AppResult<()> {
    state
        .with_vault(move |vault| Ok(vault.delete_webhook(id)?))
        .await
}

/// Gives a webhook a new signing secret, shown once; the old one signs beside it for 24 h.
#[tauri::command]
#[specta::specta]
pub async fn roll_webhook_secret(
    state: State<'_, AppState>,
    id: WebhookId,
) -> AppResult<RolledSecret> {
    state
        .with_vault(move |vault| {
            Ok(RolledSecret {
                secret: vault.roll_webhook_secret(id)?,
            })
        })
        .await
}

/// Queues a `webhook.test` message; delivery sends it within a second.
#[tauri::command]
#[specta::specta]
pub async fn send_webhook_test(state: State<'_, AppState>, id: WebhookId) -> AppResult<DeliveryId> {
    state
        .with_vault(move |vault| Ok(vault.send_webhook_test(id)?))
        .await
}

/// Sends a delivery's message again from the start of the retry schedule.
#[tauri::command]
#[specta::specta]
pub async fn resend_delivery(state: State<'_, AppState>, id: DeliveryId) -> AppResult<()> {
    state
        .with_vault(move |vault| Ok(vault.resend_delivery(id)?))
        .await
}

/// A webhook's newest deliveries, newest first. The log reads it again every two seconds
/// while shown: not activity.
#[tauri::command]
#[specta::specta]
pub async fn webhook_deliveries(
    state: State<'_, AppState>,
    id: WebhookId,
) -> AppResult<Vec<DeliveryRecord>> {
    state
        .with_vault_unattended(move |vault| Ok(vault.webhook_deliveries(id, LOG_ROWS)?))
        .await
}
