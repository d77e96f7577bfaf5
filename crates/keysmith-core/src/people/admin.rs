//! Managing people and catalogues: users, groups, permissions and applications. Only the
//! account holder and admins may change them (members are refused with `forbidden`); every
//! change commits with its audit row or not at all.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::store::{self, Catalogue};
use super::{GroupId, Permission, Role, UserId};
use crate::audit::AuditAction;
use crate::error::{Error, Result};
use crate::text::{Description, EmailAddress, Name};
use crate::vault::{operators, Change, Vault};

/// A user as the vault keeps them, with what follows from their groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct User {
    /// Row id.
    pub id: UserId,
    /// Their name.
    pub name: String,
    /// Their e-mail address (unique, case-insensitively).
    pub email: String,
    /// Their role.
    pub role: Role,
    /// Whether they may hold credentials, as set on them; a group may still block it (see
    /// [`User::has_api_access`]).
    pub api_access: bool,
    /// The groups of theirs that block API access, by name.
    pub api_access_blocked_by: Vec<String>,
    /// When they were added.
    pub created_at: DateTime<Utc>,
    /// The groups they belong to.
    pub groups: Vec<GroupId>,
    /// Their effective permissions: those their groups grant and none of them blocks, sorted.
    pub permissions: Vec<String>,
    /// Every permission one of their groups grants or blocks, with which groups do which.
    pub permission_sources: Vec<PermissionSource>,
    /// Whether they have a passphrase of their own (a key slot) to unlock the vault with.
    pub can_unlock: bool,
}

impl User {
    /// Whether they may hold credentials now: API access set on them, and blocked by none of
    /// their groups.
    pub fn has_api_access(&self) -> bool {
        self.api_access && self.api_access_blocked_by.is_empty()
    }
}

/// Where one of a user's permissions comes from: "granted by Payables, blocked by
/// Contractors". It is theirs when some group grants it and none blocks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct PermissionSource {
    /// The permission.
    pub permission: String,
    /// The names of their groups that grant it.
    pub granted_by: Vec<String>,
    /// The names of their groups that block it.
    pub blocked_by: Vec<String>,
}

/// A user's editable fields, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    /// Their name.
    pub name: Name,
    /// Their e-mail address.
    pub email: EmailAddress,
    /// Their role; [`Role::AccountHolder`] only for the one who already is.
    pub role: Role,
    /// Whether they may hold credentials.
    pub api_access: bool,
}

/// A group: a named set of permissions it grants, and of those it blocks, and its members.
/// A block beats any grant: a member of a group that blocks a permission does not hold it,
/// whichever other group grants it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct Group {
    /// Row id.
    pub id: GroupId,
    /// Its name (unique, case-insensitively).
    pub name: String,
    /// The permissions it grants, sorted.
    pub permissions: Vec<String>,
    /// The permissions it blocks, sorted.
    pub blocks: Vec<String>,
    /// Whether it blocks API access: its members hold no credentials that verify.
    pub blocks_api_access: bool,
    /// Its members.
    pub members: Vec<UserId>,
}

/// A group's fields, validated in shape; that each permission and member exists is checked
/// when it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSpec {
    /// Its name.
    pub name: Name,
    /// The permissions it grants.
    pub permissions: Vec<Permission>,
    /// The permissions it blocks (none of them among those it grants).
    pub blocks: Vec<Permission>,
    /// Whether it blocks API access.
    pub blocks_api_access: bool,
    /// Its members.
    pub members: Vec<UserId>,
}

/// An entry of the permission or the application catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, Deserialize)]
pub struct CatalogueEntry {
    /// Its name.
    pub name: String,
    /// What it is.
    pub description: String,
}

impl Vault {
    /// Every user, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        let slots = operators::slot_users(self.conn(), self.path())?;
        let mut users = store::users(self.conn())?;
        for user in &mut users {
            user.can_unlock = slots.contains(&user.id);
        }
        Ok(users)
    }

    /// The user with `id`.
    pub fn user(&self, id: UserId) -> Result<User> {
        let mut user = store::user(self.conn(), id)?;
        user.can_unlock = operators::slot_users(self.conn(), self.path())?.contains(&id);
        Ok(user)
    }

    /// Adds a user (an admin or a member: there is one account holder).
    pub fn create_user(&mut self, spec: &UserSpec) -> Result<User> {
        self.operator().require_admin("add users")?;
        if spec.role == Role::AccountHolder {
            return Err(Error::InvalidRole(
                "there is exactly one account holder; add an admin or a member".into(),
            ));
        }
        let id = self.audited(|change| {
            let id = store::insert_user(change, spec, change.now())?;
            change.record(
                AuditAction::UserCreated,
                None,
                json!({ "user": id.0, "email": spec.email.as_str(), "role": spec.role.as_str() }),
            )?;
            Ok(id)
        })?;
        self.user(id)
    }

    /// Replaces a user's name, e-mail, role and API access. The account holder's role is
    /// fixed, no one else can become account holder, and only the account holder edits
    /// themselves.
    pub fn update_user(&mut self, id: UserId, spec: &UserSpec) -> Result<User> {
        self.operator().require_admin("change users")?;
        self.audited(|change| {
            let current = store::user(change, id)?;
            if current.role == Role::AccountHolder {
                change
                    .operator()
                    .require_account_holder("change the account holder")?;
            }
            if (current.role == Role::AccountHolder) != (spec.role == Role::AccountHolder) {
                return Err(Error::InvalidRole(
                    "the account holder's role is fixed, and no one else can take it".into(),
                ));
            }
            store::update_user(change, id, spec)?;
            change.record(
                AuditAction::UserUpdated,
                None,
                json!({
                    "user": id.0,
                    "email": spec.email.as_str(),
                    "role": spec.role.as_str(),
                    "api_access": spec.api_access,
                }),
            )
        })?;
        if id == self.operator().user_id {
            self.refresh_operator()?;
        }
        self.user(id)
    }

    /// Removes a user who owns no credentials (revoke and delete them first), with their key
    /// slot if they have one. Neither the account holder nor the operator can be removed.
    pub fn delete_user(&mut self, id: UserId) -> Result<()> {
        self.operator().require_admin("remove users")?;
        let path = self.path().to_owned();
        self.audited(|change| remove_user_in(change, &path, id))
    }

    /// Every group, by name.
    pub fn groups(&self) -> Result<Vec<Group>> {
        store::groups(self.conn())
    }

    /// Adds a group.
    pub fn create_group(&mut self, spec: &GroupSpec) -> Result<Group> {
        self.save_group(None, spec)
    }

    /// Replaces a group's name, grants, blocks and members; its members' credentials verify
    /// with the new permissions at once.
    pub fn update_group(&mut self, id: GroupId, spec: &GroupSpec) -> Result<Group> {
        self.save_group(Some(id), spec)
    }

    fn save_group(&mut self, id: Option<GroupId>, spec: &GroupSpec) -> Result<Group> {
        self.operator().require_admin("manage groups")?;
        self.audited(|change| {
            if let Some(id) = id {
                store::group(change, id)?;
            }
            for permission in spec.permissions.iter().chain(&spec.blocks) {
                if !store::contains(change, Catalogue::Permissions, permission.as_str())? {
                    return Err(Error::UnknownPermission(permission.as_str().to_owned()));
                }
            }
            if let Some(both) = spec.blocks.iter().find(|b| spec.permissions.contains(b)) {
                return Err(Error::GrantedAndBlocked(both.as_str().to_owned()));
            }
            for member in &spec.members {
                store::user(change, *member)?;
            }
            let saved = store::save_group(change, id, spec)?;
            let group = store::group(change, saved)?;
            change.record(
                if id.is_some() {
                    AuditAction::GroupUpdated
                } else {
                    AuditAction::GroupCreated
                },
                None,
                json!({
                    "group": saved.0,
                    "name": group.name,
                    "permissions": group.permissions,
                    "blocks": group.blocks,
                    "blocks_api_access": group.blocks_api_access,
                    "members": group.members,
                }),
            )?;
            Ok(group)
        })
    }

    /// Removes a group; its members lose what it granted.
    pub fn delete_group(&mut self, id: GroupId) -> Result<()> {
        self.operator().require_admin("manage groups")?;
        self.audited(|change| {
            let group = store::group(change, id)?;
            store::delete_group(change, id)?;
            change.record(
                AuditAction::GroupDeleted,
                None,
                json!({ "group": id.0, "name": group.name }),
            )
        })
    }

    /// The permission catalogue, by name.
    pub fn permissions(&self) -> Result<Vec<CatalogueEntry>> {
        store::catalogue(self.conn(), Catalogue::Permissions)
    }

    /// The application catalogue, by name.
    pub fn applications(&self) -> Result<Vec<CatalogueEntry>> {
        store::catalogue(self.conn(), Catalogue::Applications)
    }

    /// Adds a permission to the catalogue.
    pub fn add_permission(&mut self, name: &Permission, description: &Description) -> Result<()> {
        self.add_entry(Catalogue::Permissions, name.as_str(), description)
    }

    /// Adds an application to the catalogue.
    pub fn add_application(&mut self, name: &Name, description: &Description) -> Result<()> {
        self.add_entry(Catalogue::Applications, name.as_str(), description)
    }

    /// Removes a permission: every group loses it, and with it every credential scoped to it
    /// no longer verifies for that scope.
    pub fn remove_permission(&mut self, name: &str) -> Result<()> {
        self.remove_entry(Catalogue::Permissions, name)
    }

    /// Removes an application no live credential may be used for.
    pub fn remove_application(&mut self, name: &str) -> Result<()> {
        self.remove_entry(Catalogue::Applications, name)
    }

    fn add_entry(
        &mut self,
        catalogue: Catalogue,
        name: &str,
        description: &Description,
    ) -> Result<()> {
        self.operator().require_admin("change the catalogues")?;
        self.audited(|change| {
            store::add_entry(change, catalogue, name, description.as_str())?;
            let action = match catalogue {
                Catalogue::Permissions => AuditAction::PermissionAdded,
                Catalogue::Applications => AuditAction::ApplicationAdded,
            };
            change.record(action, None, json!({ "name": name }))
        })
    }

    fn remove_entry(&mut self, catalogue: Catalogue, name: &str) -> Result<()> {
        self.operator().require_admin("change the catalogues")?;
        self.audited(|change| {
            if catalogue == Catalogue::Applications {
                let in_use = store::live_credentials_for_application(change, name, change.now())?;
                if in_use > 0 {
                    return Err(Error::InUse(format!(
                        "{in_use} live credential(s) may be used for {name:?}; revoke them first"
                    )));
                }
            }
            if !store::remove_entry(change, catalogue, name)? {
                return Err(match catalogue {
                    Catalogue::Permissions => Error::UnknownPermission(name.to_owned()),
                    Catalogue::Applications => Error::UnknownApplication(name.to_owned()),
                });
            }
            let action = match catalogue {
                Catalogue::Permissions => AuditAction::PermissionRemoved,
                Catalogue::Applications => AuditAction::ApplicationRemoved,
            };
            change.record(action, None, json!({ "name": name }))
        })
    }
}

/// Removes user `id` inside `change`: never the account holder or the operator, and only once
/// they own no credential. Their key slot beside the vault at `path` goes too, before the
/// commit: if it cannot be removed, the user stays.
pub(crate) fn remove_user_in(change: &Change<'_>, path: &Path, id: UserId) -> Result<()> {
    let user = store::user(change, id)?;
    if user.role == Role::AccountHolder || id == change.operator().user_id {
        return Err(Error::Forbidden(
            "the account holder and the operator cannot be removed".into(),
        ));
    }
    let owned = store::credentials_owned(change, id)?;
    if owned > 0 {
        return Err(Error::InUse(format!(
            "{} still owns {owned} credential(s); offboard them to revoke or hand those over",
            user.name
        )));
    }
    store::delete_user(change, id)?;
    change.record(
        AuditAction::UserDeleted,
        None,
        json!({ "user": id.0, "email": user.email }),
    )?;
    operators::remove_slot(path, id)
}
