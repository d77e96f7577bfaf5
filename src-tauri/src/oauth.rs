//! The commands of the OAuth apps section and of the connections on a user's page, each its
//! admin operation in `keysmith_ops` (apps are the account holder's and admins'; others get
//! `forbidden` from the core). The flows themselves run on the local API.

use keysmith_core::oauth::{
    GrantId, OAuthApp, OAuthAppId, OAuthAppSpec, OAuthConnection, PendingRequest,
};
use keysmith_core::UserId;
use keysmith_ops::{self as ops, RegisteredOAuthApp};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// Every registered app, by name.
#[tauri::command]
#[specta::specta]
pub async fn list_oauth_apps(state: State<'_, AppState>) -> AppResult<Vec<OAuthApp>> {
    state.call(ops::ListOAuthApps {}).await
}

/// Registers an app; a confidential app's secret comes back this once.
#[tauri::command]
#[specta::specta]
pub async fn register_oauth_app(
    state: State<'_, AppState>,
    spec: OAuthAppSpec,
) -> AppResult<RegisteredOAuthApp> {
    state.call(ops::RegisterOAuthApp { spec }).await
}

/// Changes an app's name, description, redirect URIs, scopes and applications.
#[tauri::command]
#[specta::specta]
pub async fn update_oauth_app(
    state: State<'_, AppState>,
    id: OAuthAppId,
    spec: OAuthAppSpec,
) -> AppResult<OAuthApp> {
    state.call(ops::UpdateOAuthApp { id, spec }).await
}

/// Enables or disables an app.
#[tauri::command]
#[specta::specta]
pub async fn set_oauth_app_enabled(
    state: State<'_, AppState>,
    id: OAuthAppId,
    enabled: bool,
) -> AppResult<OAuthApp> {
    state.call(ops::SetOAuthAppEnabled { id, enabled }).await
}

/// Deletes an app and every grant it had.
#[tauri::command]
#[specta::specta]
pub async fn delete_oauth_app(state: State<'_, AppState>, id: OAuthAppId) -> AppResult<()> {
    state.call(ops::DeleteOAuthApp { id }).await
}

/// The requests waiting for a decision, oldest first. The window reads it every few seconds
/// (a browser is waiting): not activity.
#[tauri::command]
#[specta::specta]
pub async fn pending_oauth_requests(state: State<'_, AppState>) -> AppResult<Vec<PendingRequest>> {
    state.call(ops::PendingOAuthRequests {}).await
}

/// Approves the request with `user_code` in the name of `user` (default: the operator).
#[tauri::command]
#[specta::specta]
pub async fn approve_oauth_request(
    state: State<'_, AppState>,
    user_code: String,
    user: Option<UserId>,
) -> AppResult<OAuthConnection> {
    state
        .call(ops::ApproveOAuthRequest { user_code, user })
        .await
}

/// Denies the request with `user_code`.
#[tauri::command]
#[specta::specta]
pub async fn deny_oauth_request(state: State<'_, AppState>, user_code: String) -> AppResult<()> {
    state.call(ops::DenyOAuthRequest { user_code }).await
}

/// The live grants of a user, of an app, or (none given) the operator may see.
#[tauri::command]
#[specta::specta]
pub async fn oauth_connections(
    state: State<'_, AppState>,
    user: Option<UserId>,
    app: Option<OAuthAppId>,
) -> AppResult<Vec<OAuthConnection>> {
    state.call(ops::OAuthConnections { user, app }).await
}

/// Revokes a grant: every token of it stops at once.
#[tauri::command]
#[specta::specta]
pub async fn revoke_oauth_grant(state: State<'_, AppState>, grant: GrantId) -> AppResult<()> {
    state.call(ops::RevokeOAuthGrant { grant }).await
}
