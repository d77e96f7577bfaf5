//! The commands of the OAuth apps section and of the connections on a user's page: apps (the
//! account holder's and admins'; others get `forbidden` from the core), the requests waiting
//! for approval, and the grants users made. The flows themselves run on the local API.

use keysmith_core::oauth::{
    ConnectionFilter, GrantId, OAuthApp, OAuthAppId, OAuthAppSpec, OAuthConnection, PendingRequest,
};
use keysmith_core::{Secret, UserId};
use serde::Serialize;
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// A newly registered app, with its client secret shown this once (confidential apps).
#[derive(Debug, Serialize, specta::Type)]
pub struct RegisteredOAuthApp {
    /// The app.
    pub app: OAuthApp,
    /// `ks_ocs_…`; `null` for a public app.
    #[serde(serialize_with = "keysmith_core::secret::serialize_exposed_option")]
    #[specta(type = Option<String>)]
    pub client_secret: Option<Secret>,
}

/// Every registered app, by name.
#[tauri::command]
#[specta::specta]
pub async fn list_oauth_apps(state: State<'_, AppState>) -> AppResult<Vec<OAuthApp>> {
    state
        .with_vault_unattended(|vault| Ok(vault.oauth_apps()?))
        .await
}

/// Registers an app; a confidential app's secret comes back this once.
#[tauri::command]
#[specta::specta]
pub async fn register_oauth_app(
    state: State<'_, AppState>,
    spec: OAuthAppSpec,
) -> AppResult<RegisteredOAuthApp> {
    state
        .with_vault(move |vault| {
            let registered = vault.register_oauth_app(&spec)?;
            Ok(RegisteredOAuthApp {
                app: registered.app,
                client_secret: registered.client_secret,
            })
        })
        .await
}

/// Changes an app's name, description, redirect URIs, scopes and applications.
#[tauri::command]
#[specta::specta]
pub async fn update_oauth_app(
    state: State<'_, AppState>,
    id: OAuthAppId,
    spec: OAuthAppSpec,
) -> AppResult<OAuthApp> {
    state
        .with_vault(move |vault| Ok(vault.update_oauth_app(id, &spec)?))
        .await
}

/// Enables or disables an app.
#[tauri::command]
#[specta::specta]
pub async fn set_oauth_app_enabled(
    state: State<'_, AppState>,
    id: OAuthAppId,
    enabled: bool,
) -> AppResult<OAuthApp> {
    state
        .with_vault(move |vault| Ok(vault.set_oauth_app_enabled(id, enabled)?))
        .await
}

/// Deletes an app and every grant it had.
#[tauri::command]
#[specta::specta]
pub async fn delete_oauth_app(state: State<'_, AppState>, id: OAuthAppId) -> AppResult<()> {
    state
        .with_vault(move |vault| Ok(vault.delete_oauth_app(id)?))
        .await
}

/// The requests waiting for a decision, oldest first. The window reads it every few seconds
/// (a browser is waiting): not activity.
#[tauri::command]
#[specta::specta]
pub async fn pending_oauth_requests(state: State<'_, AppState>) -> AppResult<Vec<PendingRequest>> {
    state
        .with_vault_unattended(|vault| Ok(vault.pending_oauth_requests()?))
        .await
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
        .with_vault(move |vault| Ok(vault.approve_oauth_request(&user_code, user)?))
        .await
}

/// Denies the request with `user_code`.
#[tauri::command]
#[specta::specta]
pub async fn deny_oauth_request(state: State<'_, AppState>, user_code: String) -> AppResult<()> {
    state
        .with_vault(move |vault| Ok(vault.deny_oauth_request(&user_code)?))
        .await
}

/// The live grants of a user, of an app, or (none given) the operator may see.
#[tauri::command]
#[specta::specta]
pub async fn oauth_connections(
    state: State<'_, AppState>,
    user: Option<UserId>,
    app: Option<OAuthAppId>,
) -> AppResult<Vec<OAuthConnection>> {
    state
        .with_vault(move |vault| Ok(vault.oauth_connections(ConnectionFilter { user, app })?))
        .await
}

/// Revokes a grant: every token of it stops at once.
#[tauri::command]
#[specta::specta]
pub async fn revoke_oauth_grant(state: State<'_, AppState>, grant: GrantId) -> AppResult<()> {
    state
        .with_vault(move |vault| Ok(vault.revoke_oauth_grant(grant)?))
        .await
}
