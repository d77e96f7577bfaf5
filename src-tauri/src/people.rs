//! The commands of the People screen: users, groups, the two catalogues, who may unlock the
//! vault, and offboarding. Each is its admin operation in `keysmith_ops` (the core enforces
//! every rule: members are refused with `forbidden`), except giving a user a passphrase of
//! their own, which needs the passphrase beside the file.

use keysmith_core::{Device, DeviceId};
use keysmith_core::{Group, GroupId, KdfParams, Offboarding, Role, Secret, User, UserId};
use keysmith_ops::{self as ops, CatalogueKind, NewInvitationLine, PeopleOverview};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// The operator, users, groups and catalogues.
#[tauri::command]
#[specta::specta]
pub async fn people_overview(state: State<'_, AppState>) -> AppResult<PeopleOverview> {
    state.call(ops::ShowPeople {}).await
}

/// Adds a user (`id` absent) or replaces one's name, e-mail, role and API access.
#[tauri::command]
#[specta::specta]
pub async fn save_user(
    state: State<'_, AppState>,
    id: Option<UserId>,
    name: String,
    email: String,
    role: Role,
    api_access: bool,
) -> AppResult<User> {
    state
        .call(ops::SaveUser {
            id,
            name,
            email,
            role,
            api_access,
        })
        .await
}

/// Adds a group (`id` absent) or replaces one's name, grants, blocks and members.
#[tauri::command]
#[specta::specta]
pub async fn save_group(
    state: State<'_, AppState>,
    id: Option<GroupId>,
    name: String,
    permissions: Vec<String>,
    blocks: Vec<String>,
    blocks_api_access: bool,
    members: Vec<UserId>,
) -> AppResult<Group> {
    state
        .call(ops::SaveGroup {
            id,
            name,
            permissions,
            blocks,
            blocks_api_access,
            members,
        })
        .await
}

/// Removes a group.
#[tauri::command]
#[specta::specta]
pub async fn delete_group(state: State<'_, AppState>, id: GroupId) -> AppResult<()> {
    state.call(ops::DeleteGroup { id }).await
}

/// Adds a permission or an application to its catalogue.
#[tauri::command]
#[specta::specta]
pub async fn add_catalogue_entry(
    state: State<'_, AppState>,
    catalogue: CatalogueKind,
    name: String,
    description: String,
) -> AppResult<()> {
    state
        .call(ops::AddCatalogueEntry {
            catalogue,
            name,
            description,
        })
        .await
}

/// Removes a permission or an application from its catalogue.
#[tauri::command]
#[specta::specta]
pub async fn remove_catalogue_entry(
    state: State<'_, AppState>,
    catalogue: CatalogueKind,
    name: String,
) -> AppResult<()> {
    state
        .call(ops::RemoveCatalogueEntry { catalogue, name })
        .await
}

/// Gives a user a passphrase of their own to unlock the vault with (the account holder only).
/// The key is derived (argon2, about half a second) with no lock held, so every other command
/// — a keystroke's activity ping, the inventory — goes on meanwhile.
#[tauri::command]
#[specta::specta]
pub async fn add_operator(
    state: State<'_, AppState>,
    user_id: UserId,
    passphrase: Secret,
) -> AppResult<()> {
    state
        .run(move |state| {
            let sealer = state.session().vault()?.slot_sealer()?;
            let sealed = sealer.seal(user_id, &passphrase, KdfParams::DEFAULT)?;
            Ok(state
                .session()
                .vault()?
                .add_sealed_operator(user_id, sealed)?)
        })
        .await
}

/// Takes a user's own passphrase away.
#[tauri::command]
#[specta::specta]
pub async fn remove_operator(state: State<'_, AppState>, user_id: UserId) -> AppResult<()> {
    state.call(ops::RemoveOperator { user_id }).await
}

/// Revokes every credential of a user (offboarding); how many were revoked.
#[tauri::command]
#[specta::specta]
pub async fn revoke_all_of_user(state: State<'_, AppState>, user_id: UserId) -> AppResult<u32> {
    state.call(ops::RevokeAllOfUser { user_id }).await
}

/// Removes a user and, in the same change, revokes and deletes or hands over every credential
/// they own; how many credentials that was.
#[tauri::command]
#[specta::specta]
pub async fn offboard_user(
    state: State<'_, AppState>,
    user_id: UserId,
    plan: Offboarding,
) -> AppResult<u32> {
    state.call(ops::OffboardUser { user_id, plan }).await
}

/// Invites the user with `email` to work on the team vault from a computer of theirs: the
/// one-time invitation, shown this once.
#[tauri::command]
#[specta::specta]
pub async fn invite_user(
    state: State<'_, AppState>,
    email: String,
) -> AppResult<NewInvitationLine> {
    state.call(ops::InviteUser { email }).await
}

/// The devices enrolled in the team vault (everyone's for admins, one's own for a member).
#[tauri::command]
#[specta::specta]
pub async fn list_devices(state: State<'_, AppState>) -> AppResult<Vec<Device>> {
    state.call(ops::ListDevices {}).await
}

/// Removes a device: its next request is refused.
#[tauri::command]
#[specta::specta]
pub async fn remove_device(state: State<'_, AppState>, id: DeviceId) -> AppResult<()> {
    state.call(ops::RemoveDevice { id }).await
}
