//! The commands of the Webhooks section (the account holder's; anyone else gets `forbidden`
//! from the core), each its admin operation in `keysmith_ops`. Delivery itself runs beside
//! the session (see `state`), not in these commands.

use keysmith_core::webhook::DeliveryRecord;
use keysmith_core::{DeliveryId, NewWebhook, Webhook, WebhookId, WebhookSpec};
use keysmith_ops::{self as ops, RolledSecret};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// Every webhook, oldest first. The window reads it again every few seconds (for the banner
/// of a webhook delivery stopped): not activity.
#[tauri::command]
#[specta::specta]
pub async fn list_webhooks(state: State<'_, AppState>) -> AppResult<Vec<Webhook>> {
    state.call(ops::ListWebhooks {}).await
}

/// Adds a webhook; its signing secret comes back this once.
#[tauri::command]
#[specta::specta]
pub async fn add_webhook(state: State<'_, AppState>, spec: WebhookSpec) -> AppResult<NewWebhook> {
    state.call(ops::AddWebhook { spec }).await
}

/// Replaces a webhook's settings; `keep` values stay as stored.
#[tauri::command]
#[specta::specta]
pub async fn update_webhook(
    state: State<'_, AppState>,
    id: WebhookId,
    spec: WebhookSpec,
) -> AppResult<Webhook> {
    state.call(ops::UpdateWebhook { id, spec }).await
}

/// Enables or disables a webhook.
#[tauri::command]
#[specta::specta]
pub async fn set_webhook_enabled(
    state: State<'_, AppState>,
    id: WebhookId,
    enabled: bool,
) -> AppResult<Webhook> {
    state.call(ops::SetWebhookEnabled { id, enabled }).await
}

/// Removes a webhook and its delivery log.
#[tauri::command]
#[specta::specta]
pub async fn delete_webhook(state: State<'_, AppState>, id: WebhookId) -> AppResult<()> {
    state.call(ops::DeleteWebhook { id }).await
}

/// Gives a webhook a new signing secret, shown once; the old one signs beside it for 24 h.
#[tauri::command]
#[specta::specta]
pub async fn roll_webhook_secret(
    state: State<'_, AppState>,
    id: WebhookId,
) -> AppResult<RolledSecret> {
    state.call(ops::RollWebhookSecret { id }).await
}

/// Queues a `webhook.test` message; delivery sends it within a second.
#[tauri::command]
#[specta::specta]
pub async fn send_webhook_test(state: State<'_, AppState>, id: WebhookId) -> AppResult<DeliveryId> {
    state.call(ops::SendWebhookTest { id }).await
}

/// Sends a delivery's message again from the start of the retry schedule.
#[tauri::command]
#[specta::specta]
pub async fn resend_delivery(state: State<'_, AppState>, id: DeliveryId) -> AppResult<()> {
    state.call(ops::ResendDelivery { id }).await
}

/// A webhook's newest deliveries, newest first. The log reads it again every two seconds
/// while shown: not activity.
#[tauri::command]
#[specta::specta]
pub async fn webhook_deliveries(
    state: State<'_, AppState>,
    id: WebhookId,
) -> AppResult<Vec<DeliveryRecord>> {
    state.call(ops::WebhookDeliveries { id }).await
}
