//! The People operations: users, groups, the two catalogues, operators' own passphrases (their
//! removal; adding one needs the passphrase beside the file) and offboarding. Members are
//! refused with `forbidden` by the core.

use keysmith_core::{
    CatalogueEntry, Description, EmailAddress, Group, GroupId, GroupSpec, Name, Offboarding,
    Operator, Permission, Result, Role, User, UserId, UserSpec,
};
use serde::{Deserialize, Serialize};

crate::operations! {
    /// The operator, users, groups and catalogues: what the People screen and the
    /// new-credential form need, in one call.
    Read people_overview as ShowPeople {} -> PeopleOverview = |vault, _op| {
        Ok(PeopleOverview {
            operator: vault.operator().clone(),
            users: vault.users()?,
            groups: vault.groups()?,
            permissions: vault.permissions()?,
            applications: vault.applications()?,
            api_documentation: vault.may_read_api_documentation()?,
        })
    };

    /// Adds a user (`id` absent) or replaces one's name, e-mail, role and API access.
    Change save_user as SaveUser {
        /// The user to change; none: a new one.
        id: Option<UserId>,
        /// Their name.
        name: String,
        /// Their e-mail address.
        email: String,
        /// Their role.
        role: Role,
        /// Whether they may hold credentials.
        api_access: bool,
    } -> User = |vault, op| {
        let spec = UserSpec {
            name: Name::new(&op.name)?,
            email: EmailAddress::try_from(op.email)?,
            role: op.role,
            api_access: op.api_access,
        };
        match op.id {
            None => vault.create_user(&spec),
            Some(id) => vault.update_user(id, &spec),
        }
    };

    /// Adds a group (`id` absent) or replaces one's name, grants, blocks and members.
    Change save_group as SaveGroup {
        /// The group to change; none: a new one.
        id: Option<GroupId>,
        /// Its name.
        name: String,
        /// The permissions it grants.
        permissions: Vec<String>,
        /// The permissions it blocks.
        blocks: Vec<String>,
        /// Whether it blocks its members' API access.
        blocks_api_access: bool,
        /// Its members.
        members: Vec<UserId>,
    } -> Group = |vault, op| {
        let spec = GroupSpec {
            name: Name::new(&op.name)?,
            permissions: permissions(&op.permissions)?,
            blocks: permissions(&op.blocks)?,
            blocks_api_access: op.blocks_api_access,
            members: op.members,
        };
        match op.id {
            None => vault.create_group(&spec),
            Some(id) => vault.update_group(id, &spec),
        }
    };

    /// Removes a group.
    Change delete_group as DeleteGroup {
        /// Its id.
        id: GroupId,
    } -> () = |vault, op| vault.delete_group(op.id);

    /// Adds a permission or an application to its catalogue.
    Change add_catalogue_entry as AddCatalogueEntry {
        /// Which catalogue.
        catalogue: CatalogueKind,
        /// The permission's or application's name.
        name: String,
        /// What it is for.
        description: String,
    } -> () = |vault, op| {
        let description = Description::new(&op.description)?;
        match op.catalogue {
            CatalogueKind::Permissions => {
                vault.add_permission(&Permission::new(&op.name)?, &description)
            }
            CatalogueKind::Applications => vault.add_application(&Name::new(&op.name)?, &description),
        }
    };

    /// Removes a permission or an application from its catalogue.
    Change remove_catalogue_entry as RemoveCatalogueEntry {
        /// Which catalogue.
        catalogue: CatalogueKind,
        /// The entry's name.
        name: String,
    } -> () = |vault, op| match op.catalogue {
        CatalogueKind::Permissions => vault.remove_permission(&op.name),
        CatalogueKind::Applications => vault.remove_application(&op.name),
    };

    /// Takes a user's own passphrase away.
    Change remove_operator as RemoveOperator {
        /// The user.
        user_id: UserId,
    } -> () = |vault, op| vault.remove_operator(op.user_id);

    /// Revokes every credential of a user (offboarding); how many were revoked.
    Change revoke_all_of_user as RevokeAllOfUser {
        /// The user.
        user_id: UserId,
    } -> u32 = |vault, op| Ok(count(vault.revoke_all_of_user(op.user_id)?.len()));

    /// Removes a user and, in the same change, revokes and deletes or hands over every
    /// credential they own; how many credentials that was.
    Change offboard_user as OffboardUser {
        /// The user.
        user_id: UserId,
        /// What becomes of their credentials.
        plan: Offboarding,
    } -> u32 = |vault, op| Ok(count(vault.offboard_user(op.user_id, op.plan)?));
}

/// Everything the People screen and the new-credential form need.
#[derive(Clone, Debug, Serialize, specta::Type, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CatalogueKind {
    /// Permissions.
    Permissions,
    /// Applications.
    Applications,
}

fn permissions(names: &[String]) -> Result<Vec<Permission>> {
    names.iter().map(|name| Permission::new(name)).collect()
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
