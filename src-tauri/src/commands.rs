//! The `#[tauri::command]` functions, and only those: each takes the UI's arguments, calls the
//! core, and maps the result. Rules live in the core. Commands that derive a key (argon2, about
//! half a second) are `async` so they run off the main thread and the window stays responsive.

use std::time::Duration;

use chrono::{Duration as Span, NaiveDate};
use keysmith_core::{
    clock, AccountHolder, CredentialEdit, CredentialId, CredentialQuery, Description, EmailAddress,
    Expiry, KdfParams, Keychain, Name, NewCredential, Permission, RateLimit, Renewal, Rights,
    Secret, Settings, TokenKind, UserId, Vault,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use tauri::{AppHandle, State};

use crate::api_server::ApiStatus;
use crate::clipboard::ClipboardGuard;
use crate::error::{AppError, AppResult};
use crate::models::{CredentialDetail, CredentialRow, KeychainOutcome, Revealed, VaultStatus};
use crate::state::AppState;

/// Where the vault is and whether it exists and is unlocked.
#[tauri::command]
pub fn vault_status(state: State<'_, AppState>) -> VaultStatus {
    VaultStatus {
        path: state.vault_path.display().to_string(),
        exists: Vault::exists(&state.vault_path),
        unlocked: state.session().is_unlocked(),
    }
}

/// Creates the vault with its account holder; with `remember`, keeps its key in the OS
/// keychain. A keychain that is not available is reported as a notice, not an error: the
/// vault exists and is unlocked.
#[tauri::command(async)]
pub fn create_vault(
    state: State<'_, AppState>,
    passphrase: Secret,
    remember: bool,
    holder_name: String,
    holder_email: String,
) -> AppResult<KeychainOutcome> {
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
}

/// Unlocks with the passphrase.
#[tauri::command(async)]
pub fn unlock_vault(state: State<'_, AppState>, passphrase: Secret) -> AppResult<()> {
    let vault = Vault::unlock(&state.vault_path, &passphrase, clock::system())?;
    state.open(vault)
}

/// Unlocks with the key this device remembers, if any.
#[tauri::command(async)]
pub fn unlock_with_keychain(state: State<'_, AppState>) -> AppResult<KeychainOutcome> {
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
            error @ (keysmith_core::Error::KeychainUnavailable(_) | keysmith_core::Error::WrongKey),
        ) => Ok(KeychainOutcome {
            unlocked: false,
            notice: Some(error.to_string()),
        }),
        Err(error) => Err(error.into()),
    }
}

/// Locks the vault now.
#[tauri::command]
pub fn lock_vault(state: State<'_, AppState>) {
    state.lock();
}

/// The credentials the query selects (all, newest first, without one), with status, age and
/// days left.
#[tauri::command]
pub fn list_credentials(
    state: State<'_, AppState>,
    query: Option<CredentialQuery>,
) -> AppResult<Vec<CredentialRow>> {
    let mut session = state.session();
    let vault = session.vault()?;
    let now = vault.now();
    Ok(vault
        .query_credentials(&query.unwrap_or_default())?
        .into_iter()
        .map(|credential| CredentialRow::new(credential, now))
        .collect())
}

/// One credential with its renewal links and audit history.
#[tauri::command]
pub fn credential_detail(state: State<'_, AppState>, id: i64) -> AppResult<CredentialDetail> {
    let mut session = state.session();
    let vault = session.vault()?;
    let id = CredentialId(id);
    Ok(CredentialDetail {
        credential: CredentialRow::new(vault.credential(id)?, vault.now()),
        successor: vault.successor(id)?,
        auto_renewal: vault.auto_renewal(id)?,
        history: vault.audit_log(Some(id))?,
    })
}

/// A new credential as the form sends it.
#[derive(Debug, Deserialize)]
pub struct IssueRequest {
    kind: TokenKind,
    /// The owner's user id; absent for an organization token.
    owner_id: Option<i64>,
    name: String,
    description: String,
    /// The first day it no longer works, `YYYY-MM-DD` (UTC).
    expires_on: String,
    scopes: Vec<String>,
    rights: Rights,
    applications: Vec<String>,
    /// Requests per minute; the default when absent.
    rate_limit: Option<u32>,
}

/// Issues a credential; its secret is revealed once in the response.
#[tauri::command]
pub fn issue_credential(state: State<'_, AppState>, request: IssueRequest) -> AppResult<Revealed> {
    let date = NaiveDate::parse_from_str(&request.expires_on, "%Y-%m-%d")
        .map_err(|_| AppError::InvalidDate)?;
    let mut session = state.session();
    let vault = session.vault()?;
    let now = vault.now();
    let new = NewCredential {
        kind: request.kind,
        owner: request.owner_id.map(UserId),
        name: Name::new(&request.name)?,
        description: Description::new(&request.description)?,
        expiry: Expiry::on_date(date, now)?,
        scopes: request
            .scopes
            .iter()
            .map(|scope| Permission::new(scope))
            .collect::<Result<_, _>>()?,
        rights: request.rights,
        applications: request
            .applications
            .iter()
            .map(|application| Name::new(application))
            .collect::<Result<_, _>>()?,
        rate_limit: request
            .rate_limit
            .map_or(Ok(RateLimit::default()), RateLimit::new)?,
    };
    let issued = vault.issue(&new)?;
    Ok(Revealed {
        credential: CredentialRow::new(issued.credential, now),
        token: issued.token,
    })
}

/// Revokes a credential once the user has typed its name.
#[tauri::command]
pub fn revoke_credential(
    state: State<'_, AppState>,
    id: i64,
    confirm_name: String,
) -> AppResult<CredentialRow> {
    let mut session = state.session();
    let vault = session.vault()?;
    let id = CredentialId(id);
    confirm(vault, id, &confirm_name)?;
    let revoked = vault.revoke(id)?;
    Ok(CredentialRow::new(revoked, vault.now()))
}

/// Disables (`enabled = false`) or enables a credential.
#[tauri::command]
pub fn set_credential_enabled(
    state: State<'_, AppState>,
    id: i64,
    enabled: bool,
) -> AppResult<CredentialRow> {
    let mut session = state.session();
    let vault = session.vault()?;
    let credential = vault.set_enabled(CredentialId(id), enabled)?;
    Ok(CredentialRow::new(credential, vault.now()))
}

/// Edits a credential: `changes` names the fields to replace (`description`,
/// `auto_renewal`); any other field is refused as `immutable_field`.
#[tauri::command]
pub fn edit_credential(
    state: State<'_, AppState>,
    id: i64,
    changes: Map<String, Value>,
) -> AppResult<CredentialRow> {
    let edit = CredentialEdit::from_fields(&changes)?;
    let mut session = state.session();
    let vault = session.vault()?;
    let credential = vault.edit(CredentialId(id), &edit)?;
    Ok(CredentialRow::new(credential, vault.now()))
}

/// Renews a credential. The old one ends `old_ends_in_seconds` from now, or at its current
/// expiry when that is absent; the new token is revealed once.
#[tauri::command]
pub fn renew_credential(
    state: State<'_, AppState>,
    id: i64,
    old_ends_in_seconds: Option<i64>,
    name: String,
    description: String,
) -> AppResult<Revealed> {
    let mut session = state.session();
    let vault = session.vault()?;
    let id = CredentialId(id);
    let now = vault.now();
    let old_ends_at = match old_ends_in_seconds {
        Some(seconds) => now + Span::seconds(seconds),
        None => vault.credential(id)?.expires_at.max(now),
    };
    let renewal = Renewal {
        old_ends_at,
        name: Name::new(&name)?,
        description: Description::new(&description)?,
    };
    let issued = vault.renew(id, &renewal)?;
    Ok(Revealed {
        credential: CredentialRow::new(issued.credential, now),
        token: issued.token,
    })
}

/// Deletes a credential's row (its audit history stays) once the user has typed its name.
#[tauri::command]
pub fn delete_credential(
    state: State<'_, AppState>,
    id: i64,
    confirm_name: String,
) -> AppResult<()> {
    let mut session = state.session();
    let vault = session.vault()?;
    let id = CredentialId(id);
    confirm(vault, id, &confirm_name)?;
    Ok(vault.delete(id)?)
}

/// Checks that the user typed the credential's exact name.
fn confirm(vault: &Vault, id: CredentialId, typed: &str) -> AppResult<()> {
    if vault.credential(id)?.name == typed.trim() {
        Ok(())
    } else {
        Err(AppError::ConfirmationMismatch)
    }
}

/// The vault's settings.
#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> AppResult<Settings> {
    Ok(state.session().vault()?.settings()?)
}

/// Saves the vault's settings; the auto-lock time and the local API's apply at once.
#[tauri::command]
pub fn update_settings(state: State<'_, AppState>, settings: Settings) -> AppResult<Settings> {
    let mut session = state.session();
    let vault = session.vault()?;
    vault.update_settings(settings)?;
    state.api.apply(vault, &settings.api);
    session.set_auto_lock_minutes(settings.auto_lock_minutes);
    Ok(settings)
}

/// What the local API is doing: listening (where), port in use, stopped or failed.
#[tauri::command]
pub fn api_status(state: State<'_, AppState>) -> ApiStatus {
    state.api.status()
}

/// Copies a secret to the clipboard and clears it after the configured delay.
#[tauri::command]
pub fn copy_secret(
    app: AppHandle,
    state: State<'_, AppState>,
    clipboard: State<'_, ClipboardGuard>,
    text: Secret,
) -> AppResult<()> {
    let seconds = state.session().vault()?.settings()?.clipboard_clear_seconds;
    clipboard.copy(&app, text, Duration::from_secs(u64::from(seconds)))
}

/// Records user activity (keys, pointer) so auto-lock counts idle time only.
#[tauri::command]
pub fn touch(state: State<'_, AppState>) -> bool {
    state.session().is_unlocked()
}
