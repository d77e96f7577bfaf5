//! The commands of the People screen: users, groups, the two catalogues, who may unlock the
//! vault, and offboarding. Each maps its arguments to the core, which enforces every rule
//! (members are refused with `forbidden`).

use keysmith_core::{
    CatalogueEntry, Description, EmailAddress, Group, GroupId, GroupSpec, KdfParams, Name,
    Operator, Permission, Role, Secret, User, UserId, UserSpec,
};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::AppResult;
use crate::state::AppState;

/// Everything the People screen and the new-credential form need, in one call.
#[derive(Debug, Serialize)]
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
}

/// Which catalogue an entry belongs to.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueKind {
    /// Permissions.
    Permissions,
    /// Applications.
    Applications,
}

/// The operator, users, groups and catalogues.
#[tauri::command]
pub fn people_overview(state: State<'_, AppState>) -> AppResult<PeopleOverview> {
    let mut session = state.session();
    let vault = session.vault()?;
    Ok(PeopleOverview {
        operator: vault.operator().clone(),
        users: vault.users()?,
        groups: vault.groups()?,
        permissions: vault.permissions()?,
        applications: vault.applications()?,
    })
}

/// Adds a user (`id` absent) or replaces one's name, e-mail, role and API access.
#[tauri::command]
pub fn save_user(
    state: State<'_, AppState>,
    id: Option<i64>,
    name: String,
    email: String,
    role: Role,
    api_access: bool,
) -> AppResult<User> {
    let spec = UserSpec {
        name: Name::new(&name)?,
        email: EmailAddress::try_from(email)?,
        role,
        api_access,
    };
    let mut session = state.session();
    let vault = session.vault()?;
    Ok(match id {
        None => vault.create_user(&spec)?,
        Some(id) => vault.update_user(UserId(id), &spec)?,
    })
}

/// Removes a user who owns no credentials.
#[tauri::command]
pub fn delete_user(state: State<'_, AppState>, id: i64) -> AppResult<()> {
    Ok(state.session().vault()?.delete_user(UserId(id))?)
}

/// Adds a group (`id` absent) or replaces one's name, permissions and members.
#[tauri::command]
pub fn save_group(
    state: State<'_, AppState>,
    id: Option<i64>,
    name: String,
    permissions: Vec<String>,
    members: Vec<i64>,
) -> AppResult<Group> {
    let spec = GroupSpec {
        name: Name::new(&name)?,
        permissions: permissions
            .iter()
            .map(|p| Permission::new(p))
            .collect::<Result<_, _>>()?,
        members: members.into_iter().map(UserId).collect(),
    };
    let mut session = state.session();
    let vault = session.vault()?;
    Ok(match id {
        None => vault.create_group(&spec)?,
        Some(id) => vault.update_group(GroupId(id), &spec)?,
    })
}

/// Removes a group.
#[tauri::command]
pub fn delete_group(state: State<'_, AppState>, id: i64) -> AppResult<()> {
    Ok(state.session().vault()?.delete_group(GroupId(id))?)
}

/// Adds a permission or an application to its catalogue.
#[tauri::command]
pub fn add_catalogue_entry(
    state: State<'_, AppState>,
    catalogue: CatalogueKind,
    name: String,
    description: String,
) -> AppResult<()> {
    let description = Description::new(&description)?;
    let mut session = state.session();
    let vault = session.vault()?;
    match catalogue {
        CatalogueKind::Permissions => {
            vault.add_permission(&Permission::new(&name)?, &description)?
        }
        CatalogueKind::Applications => vault.add_application(&Name::new(&name)?, &description)?,
    }
    Ok(())
}

/// Removes a permission or an application from its catalogue.
#[tauri::command]
pub fn remove_catalogue_entry(
    state: State<'_, AppState>,
    catalogue: CatalogueKind,
    name: String,
) -> AppResult<()> {
    let mut session = state.session();
    let vault = session.vault()?;
    match catalogue {
        CatalogueKind::Permissions => vault.remove_permission(&name)?,
        CatalogueKind::Applications => vault.remove_application(&name)?,
    }
    Ok(())
}

/// Gives a user a passphrase of their own to unlock the vault with (the account holder only).
/// Derives a key, so it runs off the main thread.
#[tauri::command(async)]
pub fn add_operator(state: State<'_, AppState>, user_id: i64, passphrase: Secret) -> AppResult<()> {
    let mut session = state.session();
    Ok(session
        .vault()?
        .add_operator(UserId(user_id), &passphrase, KdfParams::DEFAULT)?)
}

/// Takes a user's own passphrase away.
#[tauri::command]
pub fn remove_operator(state: State<'_, AppState>, user_id: i64) -> AppResult<()> {
    Ok(state.session().vault()?.remove_operator(UserId(user_id))?)
}

/// Revokes every credential of a user (offboarding); how many were revoked.
#[tauri::command]
pub fn revoke_all_of_user(state: State<'_, AppState>, user_id: i64) -> AppResult<usize> {
    Ok(state
        .session()
        .vault()?
        .revoke_all_of_user(UserId(user_id))?
        .len())
}
