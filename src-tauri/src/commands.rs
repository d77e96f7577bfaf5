//! The `#[tauri::command]` functions of the vault, its credentials and settings, and only
//! those: each takes the UI's arguments, calls the core, and maps the result. Rules live in
//! the core. Every command is `async` and does its work through [`AppState::run`], off the
//! window's thread; those that are admin operations call their one definition in
//! `keysmith_ops` through [`AppState::call`]. The TypeScript that calls them is generated from
//! these signatures.

use std::time::Duration;

use keysmith_core::{
    clock, AccountHolder, BulkAction, BulkOutcome, CredentialId, CredentialQuery, EmailAddress,
    HealthCount, IssueRequest, KdfParams, Keychain, Name, PrivateCallbacks, RenewalPlan, Secret,
    Settings, Vault,
};
use keysmith_ops::{
    self as ops, CredentialChanges, CredentialCounts, CredentialDetail, CredentialListing,
    CredentialRow, Revealed,
};
use tauri::{AppHandle, Manager, State};

use crate::api_server::ApiStatus;
use crate::clipboard::ClipboardGuard;
use crate::error::AppResult;
use crate::models::{KeychainOutcome, VaultStatus};
use crate::state::AppState;
use crate::team::Place;

/// Where the vault is and whether it exists and is unlocked.
#[tauri::command]
#[specta::specta]
pub async fn vault_status(state: State<'_, AppState>) -> AppResult<VaultStatus> {
    state
        .run(|state| {
            let place = state.place();
            // Each read takes the session's lock in turn, never two at once.
            let unlocked = state.session().is_unlocked();
            let team = state.team().map(|link| link.status());
            Ok(VaultStatus {
                path: state.vault_path.display().to_string(),
                exists: match &place {
                    Place::Local => Vault::exists(&state.vault_path),
                    Place::Team { .. } => true,
                },
                unlocked,
                team,
                place,
            })
        })
        .await
}

/// Creates the vault with its account holder; with `remember`, keeps its key in the OS
/// keychain. A keychain that is not available is reported as a notice, not an error: the
/// vault exists and is unlocked.
#[tauri::command]
#[specta::specta]
pub async fn create_vault(
    state: State<'_, AppState>,
    passphrase: Secret,
    remember: bool,
    holder_name: String,
    holder_email: String,
) -> AppResult<KeychainOutcome> {
    state
        .run(move |state| {
            let holder = AccountHolder {
                name: Name::new(&holder_name)?,
                email: EmailAddress::try_from(holder_email)?,
            };
            let vault = Vault::create(
                &state.vault_path,
                &passphrase,
                &holder,
                KdfParams::DEFAULT,
                clock::system(),
            )?;
            let notice = remember
                .then(|| vault.remember_on_device(&Keychain).err())
                .flatten()
                .map(|error| error.to_string());
            state.open(vault)?;
            Ok(KeychainOutcome {
                unlocked: true,
                notice,
            })
        })
        .await
}

/// Unlocks with the passphrase.
#[tauri::command]
#[specta::specta]
pub async fn unlock_vault(state: State<'_, AppState>, passphrase: Secret) -> AppResult<()> {
    state
        .run(move |state| {
            let vault = Vault::unlock(&state.vault_path, &passphrase, clock::system())?;
            state.open(vault)
        })
        .await
}

/// Unlocks with the key this device remembers, if any.
#[tauri::command]
#[specta::specta]
pub async fn unlock_with_keychain(state: State<'_, AppState>) -> AppResult<KeychainOutcome> {
    state
        .run(|state| {
            if let Place::Team { .. } = state.place() {
                return crate::team::unlock_from_keychain(state);
            }
            match Vault::unlock_from_keychain(&state.vault_path, &Keychain, clock::system()) {
                Ok(Some(vault)) => {
                    state.open(vault)?;
                    Ok(KeychainOutcome {
                        unlocked: true,
                        notice: None,
                    })
                }
                Ok(None) => Ok(KeychainOutcome {
                    unlocked: false,
                    notice: None,
                }),
                Err(
                    error @ (keysmith_core::Error::KeychainUnavailable(_)
                    | keysmith_core::Error::WrongKey),
                ) => Ok(KeychainOutcome {
                    unlocked: false,
                    notice: Some(error.to_string()),
                }),
                Err(error) => Err(error.into()),
            }
        })
        .await
}

/// Waits for the unlocked vault's integrity check, which reads every page beside the window's
/// first reads, and says whether it passed: `vault_damaged`, with what was found, when not.
#[tauri::command]
#[specta::specta]
pub async fn vault_integrity(state: State<'_, AppState>) -> AppResult<()> {
    state
        .run(|state| {
            // A team vault's file is the server's to check.
            if state.team().is_some() {
                return Ok(());
            }
            let check = state.session().vault()?.integrity_check();
            // Waited for with the session free: the window reads meanwhile.
            Ok(check.wait()?)
        })
        .await
}

/// Locks the vault now.
#[tauri::command]
#[specta::specta]
pub async fn lock_vault(app: AppHandle, state: State<'_, AppState>) -> AppResult<()> {
    state
        .run(|state| {
            state.lock();
            Ok(())
        })
        .await?;
    // A secret copied in this session does not outlive it.
    app.state::<ClipboardGuard>().clear_ours(&app);
    Ok(())
}

/// The page of credentials the query selects (all, newest first, without one), with status,
/// age and days left, and the total on every page. Reading the inventory is not activity (the
/// window re-reads it when the vault changes; the admin's own input counts, through `touch`).
#[tauri::command]
#[specta::specta]
pub async fn list_credentials(
    state: State<'_, AppState>,
    query: Option<CredentialQuery>,
) -> AppResult<CredentialListing> {
    state.call(ops::ListCredentials { query }).await
}

/// How many credentials the vault holds, and how many active ones expire soon: asked once
/// per listing and after each change, not with every page. Not activity, as listing is not.
#[tauri::command]
#[specta::specta]
pub async fn credential_counts(state: State<'_, AppState>) -> AppResult<CredentialCounts> {
    state.call(ops::CountCredentials {}).await
}

/// The credentials `id` renewed, newest first, as rows: what the inventory unfolds under it.
/// Not activity, as listing is not.
#[tauri::command]
#[specta::specta]
pub async fn credential_predecessors(
    state: State<'_, AppState>,
    id: CredentialId,
) -> AppResult<Vec<CredentialRow>> {
    state.call(ops::CredentialPredecessors { id }).await
}

/// How many credentials each check of the Health section finds now. Not activity, as listing
/// is not.
#[tauri::command]
#[specta::specta]
pub async fn health_counts(state: State<'_, AppState>) -> AppResult<Vec<HealthCount>> {
    state.call(ops::HealthCounts {}).await
}

/// Revokes, disables or renews (into hand-over) every credential of `ids` in one change, one
/// audit row each; refused for one, none changes.
#[tauri::command]
#[specta::specta]
pub async fn bulk_credentials(
    state: State<'_, AppState>,
    action: BulkAction,
    ids: Vec<CredentialId>,
) -> AppResult<BulkOutcome> {
    state.call(ops::BulkCredentials { action, ids }).await
}

/// One credential with its renewal links and audit history. Not activity, as listing is not.
#[tauri::command]
#[specta::specta]
pub async fn credential_detail(
    state: State<'_, AppState>,
    id: CredentialId,
) -> AppResult<CredentialDetail> {
    state.call(ops::ShowCredential { id }).await
}

/// Issues a credential; its secret is revealed once in the response.
#[tauri::command]
#[specta::specta]
pub async fn issue_credential(
    state: State<'_, AppState>,
    request: IssueRequest,
) -> AppResult<Revealed> {
    state.call(ops::IssueCredential { request }).await
}

/// Revokes a credential once the user has typed its name.
#[tauri::command]
#[specta::specta]
pub async fn revoke_credential(
    state: State<'_, AppState>,
    id: CredentialId,
    confirm_name: String,
) -> AppResult<CredentialRow> {
    state
        .call(ops::RevokeCredential {
            id,
            confirm_name: Some(confirm_name),
        })
        .await
}

/// Disables (`enabled = false`) or enables a credential.
#[tauri::command]
#[specta::specta]
pub async fn set_credential_enabled(
    state: State<'_, AppState>,
    id: CredentialId,
    enabled: bool,
) -> AppResult<CredentialRow> {
    state.call(ops::SetCredentialEnabled { id, enabled }).await
}

/// Edits a credential: `changes` names the fields to replace (`description`,
/// `auto_renewal`); any other field is refused as `immutable_field`.
#[tauri::command]
#[specta::specta]
pub async fn edit_credential(
    state: State<'_, AppState>,
    id: CredentialId,
    changes: CredentialChanges,
) -> AppResult<CredentialRow> {
    state.call(ops::EditCredential { id, changes }).await
}

/// What renewing a credential now would give: the old one's expiry, the new one's default
/// and latest expiry dates. Not activity, as listing is not.
#[tauri::command]
#[specta::specta]
pub async fn renewal_plan(state: State<'_, AppState>, id: CredentialId) -> AppResult<RenewalPlan> {
    state.call(ops::RenewalPlanOf { id }).await
}

/// Renews a credential. The old one ends `old_ends_in_seconds` from now, or at its current
/// expiry when that is absent; the new one expires at the start of `expires_on`
/// (`YYYY-MM-DD`), or after the old one's lifetime when that is absent; the new token is
/// revealed once.
#[tauri::command]
#[specta::specta]
pub async fn renew_credential(
    state: State<'_, AppState>,
    id: CredentialId,
    old_ends_in_seconds: Option<i64>,
    expires_on: Option<String>,
    name: String,
    description: String,
) -> AppResult<Revealed> {
    state
        .call(ops::RenewCredential {
            id,
            old_ends_in_seconds,
            old_ends_on: None,
            expires_on,
            name: Some(name),
            description: Some(description),
        })
        .await
}

/// Deletes a credential's row (its audit history stays) once the user has typed its name.
#[tauri::command]
#[specta::specta]
pub async fn delete_credential(
    state: State<'_, AppState>,
    id: CredentialId,
    confirm_name: String,
) -> AppResult<()> {
    state
        .call(ops::DeleteCredential {
            id,
            confirm_name: Some(confirm_name),
        })
        .await
}

/// The vault's settings.
#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> AppResult<Settings> {
    state.call(ops::GetSettings {}).await
}

/// Saves the vault's settings; the auto-lock time and the local API's apply at once.
#[tauri::command]
#[specta::specta]
pub async fn update_settings(
    state: State<'_, AppState>,
    settings: Settings,
) -> AppResult<Settings> {
    let saved = state.call(ops::UpdateSettings { settings }).await?;
    state
        .run(move |state| {
            let mut session = state.session();
            // The local API runs beside a vault file only.
            if let Ok(vault) = session.vault() {
                state.api.apply(vault, &saved.api);
            }
            session.apply(&saved);
            Ok(saved)
        })
        .await
}

/// A number that moves whenever the vault changes, whoever changed it (the local API's uses,
/// another process): the inventory re-reads when it moves. Read every few seconds, so it
/// does not count as activity.
#[tauri::command]
#[specta::specta]
pub async fn vault_revision(state: State<'_, AppState>) -> AppResult<u32> {
    state.call(ops::VaultRevision {}).await
}

/// The reverse proxies whose `X-Forwarded-For` the local API believes (forward auth).
#[tauri::command]
#[specta::specta]
pub async fn trusted_proxies(state: State<'_, AppState>) -> AppResult<Vec<String>> {
    state.call(ops::TrustedProxies {}).await
}

/// Sets the trusted proxies (addresses or CIDR ranges; none: trust no forwarded address);
/// the local API takes them from its next request.
#[tauri::command]
#[specta::specta]
pub async fn set_trusted_proxies(
    state: State<'_, AppState>,
    proxies: Vec<String>,
) -> AppResult<Vec<String>> {
    state.call(ops::SetTrustedProxies { proxies }).await
}

/// Whether renewal callbacks may go to private addresses, and whether this operator may
/// change that.
#[tauri::command]
#[specta::specta]
pub async fn private_callbacks(state: State<'_, AppState>) -> AppResult<PrivateCallbacks> {
    state.call(ops::PrivateCallbacksOf {}).await
}

/// Allows or refuses renewal callbacks to private addresses (the account holder's alone).
#[tauri::command]
#[specta::specta]
pub async fn set_private_callbacks(
    state: State<'_, AppState>,
    allowed: bool,
) -> AppResult<PrivateCallbacks> {
    state.call(ops::SetPrivateCallbacks { allowed }).await
}

/// What the local API is doing: listening (where), port in use, stopped or failed.
#[tauri::command]
#[specta::specta]
pub async fn api_status(state: State<'_, AppState>) -> AppResult<ApiStatus> {
    state.run(|state| Ok(state.api.status())).await
}

/// Copies a secret to the clipboard and clears it after the configured delay.
#[tauri::command]
#[specta::specta]
pub async fn copy_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    text: Secret,
) -> AppResult<()> {
    let seconds = state
        .call(ops::GetSettings {})
        .await?
        .clipboard_clear_seconds;
    let clipboard = tauri::Manager::state::<ClipboardGuard>(&app);
    clipboard.copy(&app, text, Duration::from_secs(u64::from(seconds)))
}

/// Records user activity (keys, pointer) so auto-lock counts idle time only; whether the
/// vault is unlocked.
#[tauri::command]
#[specta::specta]
pub async fn touch(state: State<'_, AppState>) -> AppResult<bool> {
    state.run(|state| Ok(state.session().is_unlocked())).await
}
