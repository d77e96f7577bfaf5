//! The commands of the People screen: users, groups, the two catalogues, who may unlock the
//! vault, and offboarding. Each maps its arguments to the core, which enforces every rule
//! (members are refused with `forbidden`), and runs off the window's thread.

use keysmith_core::{
    CatalogueEntry, Description, EmailAddress, Group, GroupId, GroupSpec, KdfParams, Name,
    Offboarding, Operator, Permission, Role, Secret, User, UserId, UserSpec,
};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// Everything the People screen and the new-credential form need, in one call.
#[derive(Debug, Serialize, specta::Type)]
pub struct PeopleOverview {
    /// Who is acting.
    pub operator: Operator,
    /// Every user, by name.
    pub users: Vec<User>,
    /// Every group, by name.
    pub groups: Vec<Group>,
    /// The permission catalogue.
    pub permissions: Vec<CatalogueEntry>,
    /// The application catalogue.
    pub applications: Vec<CatalogueEntry>,
    /// Whether the operator may read the API documentation (the API section).
    pub api_documentation: bool,
}

/// Which catalogue an entry belongs to.
#[derive(Debug, Clone, Copy, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueKind {
    /// Permissions.
    Permissions,
    /// Applications.
    Applications,
}

/// The operator, users, groups and catalogues.
#[tauri::command]
#[specta::specta]
pub async fn people_overview(state: State<'_, AppState>) -> AppResult<PeopleOverview> {
    state
        .with_vault(|vault| {
            Ok(PeopleOverview {
                operator: vault.operator().clone(),
                users: vault.users()?,
                groups: vault.groups()?,
                permissions: vault.permissions()?,
                applications: vault.applications()?,
                api_documentation: vault.may_read_api_documentation()?,
            })
        })
        .await
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
        .with_vault(move |vault| {
            let spec = UserSpec {
                name: Name::new(&name)?,
                email: EmailAddress::try_from(email)?,
                role,
                api_access,
            };
            Ok(match id {
                None => vault.create_user(&spec)?,
                Some(id) => vault.update_user(id, &spec)?,
            })
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
        .with_vault(move |vault| {
            let parse = |names: &[String]| -> Result<Vec<Permission>, keysmith_core::Error> {
                names.iter().map(|p| Permission::new(p)).collect()
            };
            let spec = GroupSpec {
                name: Name::new(&name)?,
                permissions: parse(&permissions)?,
                blocks: parse(&blocks)?,
                blocks_api_access,
                members,
            };
            Ok(match id {
                None => vault.create_group(&spec)?,
                Some(id) => vault.update_group(id, &spec)?,
            })
        })
        .await
}

/// Removes a group.
#[tauri::command]
#[specta::specta]
pub async fn delete_group(state: State<'_, AppState>, id: GroupId) -> AppResult<()> {
    state
        .with_vault(move |vault| Ok(vault.delete_group(id)?))
        .await
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
        .with_vault(move |vault| {
            let description = Description::new(&description)?;
            match catalogue {
                CatalogueKind::Permissions => {
                    vault.add_permission(&Permission::new(&name)?, &description)?
                }
                CatalogueKind::Applications => {
                    vault.add_application(&Name::new(&name)?, &description)?
                }
            }
            Ok(())
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
        .with_vault(move |vault| {
            match catalogue {
                CatalogueKind::Permissions => vault.remove_permission(&name)?,
                CatalogueKind::Applications => vault.remove_application(&name)?,
            }
            Ok(())
        })
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
    state
        .with_vault(move |vault| Ok(vault.remove_operator(user_id)?))
        .await
}

/// Revokes every credential of a user (offboarding); how many were revoked.
#[tauri::command]
#[specta::specta]
pub async fn revoke_all_of_user(state: State<'_, AppState>, user_id: UserId) -> AppResult<u32> {
    state
        .with_vault(move |vault| {
            let revoked = vault.revoke_all_of_user(user_id)?;
            Ok(u32::try_from(revoked.len()).unwrap_or(u32::MAX))
        })
        .await
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
    state
        .with_vault(move |vault| {
            let handled = vault.offboard_user(user_id, plan)?;
            Ok(u32::try_from(handled).unwrap_or(u32::MAX))
        })
        .await
}
